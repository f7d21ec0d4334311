// Periodic schedules: parsing beat_schedule values from `inspect conf`, next run times, descriptions.
// Reprs are the exact strings Celery 5.2.6 produces; reference solar times are from PyEphem 4.1.4
// (what Celery's solar schedule uses) and agree with published almanac times to the minute.

import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { expandCrontabField, nextCrontabRun } from "../../agent/sources/periodic/crontab";
import { describeSchedule } from "../../agent/sources/periodic/describe";
import { computeSchedule } from "../../agent/sources/periodic/index";
import { parseScheduleRepr, type ParsedSchedule } from "../../agent/sources/periodic/schedule-repr";
import { nextSolarRun } from "../../agent/sources/periodic/solar";

const ALL_DOW = [0, 1, 2, 3, 4, 5, 6];
const ALL_DOM = Array.from({ length: 31 }, (_, i) => i + 1);
const ALL_MOY = Array.from({ length: 12 }, (_, i) => i + 1);

function parsed(value: unknown): ParsedSchedule {
  const r = parseScheduleRepr(value);
  assert.notEqual(r.kind, "error", `expected ${JSON.stringify(value)} to parse: ${JSON.stringify(r)}`);
  return r as ParsedSchedule;
}

function cron(fields: string, legend = "(m/h/d/dM/MY)") {
  const r = parsed(`<crontab: ${fields} ${legend}>`);
  assert.equal(r.kind, "crontab");
  return r as Extract<ParsedSchedule, { kind: "crontab" }>;
}

function expectError(value: unknown, message: RegExp): void {
  let r: ReturnType<typeof parseScheduleRepr> | undefined;
  assert.doesNotThrow(() => {
    r = parseScheduleRepr(value);
  });
  assert.equal(r!.kind, "error", `expected an error for ${String(value)}`);
  assert.match((r as { error: string }).error, message);
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

describe("parseScheduleRepr: intervals", () => {
  test("number of seconds", () => {
    assert.deepEqual(parseScheduleRepr(30.0), { kind: "interval", seconds: 30 });
    assert.deepEqual(parseScheduleRepr(0.5), { kind: "interval", seconds: 0.5 });
    assert.deepEqual(parseScheduleRepr("45"), { kind: "interval", seconds: 45 });
  });

  test("timedelta strings", () => {
    assert.deepEqual(parseScheduleRepr("0:05:00"), { kind: "interval", seconds: 300 });
    assert.deepEqual(parseScheduleRepr("1 day, 2:00:00"), { kind: "interval", seconds: 93600 });
    assert.deepEqual(parseScheduleRepr("3 days, 0:00:00.500000"), { kind: "interval", seconds: 259200.5 });
    assert.deepEqual(parseScheduleRepr("12:30:15"), { kind: "interval", seconds: 45015 });
  });

  test("freq reprs, snapped to the roundest duration the two decimals allow", () => {
    const seconds = (repr: string) => (parsed(repr) as { seconds: number }).seconds;
    assert.equal(seconds("<freq: 30.00 seconds>"), 30);
    assert.equal(seconds("<freq: 1.50 seconds>"), 1.5);
    assert.equal(seconds("<freq: 5.00 minutes>"), 300);
    assert.equal(seconds("<freq: 2.50 minutes>"), 150);
    assert.equal(seconds("<freq: 1.00 hour>"), 3600);
    assert.equal(seconds("<freq: 1.50 hours>"), 5400);
    assert.equal(seconds("<freq: 1.67 hours>"), 6000); // schedule(6000): 100 minutes
    assert.equal(seconds("<freq: 1.50 days>"), 129600);
    assert.equal(seconds("<freq: now>"), 0); // Celery prints "now" below one second
    assert.equal(parsed("<freq: 1.00 hour>").kind, "interval");
  });
});

describe("parseScheduleRepr: crontab", () => {
  test("nightly: <crontab: 0 0 * * * (m/h/d/dM/MY)>", () => {
    const c = cron("0 0 * * *");
    assert.deepEqual(c.fields, {
      minute: "0",
      hour: "0",
      day_of_week: "*",
      day_of_month: "*",
      month_of_year: "*",
    });
    assert.deepEqual(c.sets, {
      minute: [0],
      hour: [0],
      day_of_week: ALL_DOW,
      day_of_month: ALL_DOM,
      month_of_year: ALL_MOY,
    });
  });

  test("weekday digest: fields are m h dow dom moy", () => {
    const c = cron("30 7 mon-fri * *");
    assert.equal(c.fields.day_of_week, "mon-fri");
    assert.deepEqual(c.sets.minute, [30]);
    assert.deepEqual(c.sets.hour, [7]);
    assert.deepEqual(c.sets.day_of_week, [1, 2, 3, 4, 5]);
    assert.deepEqual(c.sets.day_of_month, ALL_DOM);
  });

  test("dom and moy positions (m/h/d/dM/MY)", () => {
    const c = cron("0 12 * 15 6");
    assert.deepEqual(c.sets.day_of_month, [15]);
    assert.deepEqual(c.sets.month_of_year, [6]);
    assert.deepEqual(c.sets.day_of_week, ALL_DOW);
  });

  test("Celery 5.3+ order (m/h/dM/MY/d) follows the legend", () => {
    const c = cron("0 9 1 * mon", "(m/h/dM/MY/d)");
    assert.deepEqual(c.sets.day_of_month, [1]);
    assert.deepEqual(c.sets.day_of_week, [1]);
    assert.equal(c.fields.day_of_week, "mon");
  });

  test("no legend: the 5.2 order", () => {
    const c = parsed("<crontab: 0 0 sat * *>") as Extract<ParsedSchedule, { kind: "crontab" }>;
    assert.deepEqual(c.sets.day_of_week, [6]);
  });

  test("Python set, list, tuple and range reprs", () => {
    const set = cron("{0, 30} * * * *");
    assert.equal(set.fields.minute, "{0, 30}");
    assert.deepEqual(set.sets.minute, [0, 30]);
    const listTuple = cron("[0, 30] (1, 2) * * *");
    assert.deepEqual(listTuple.sets.minute, [0, 30]);
    assert.deepEqual(listTuple.sets.hour, [1, 2]);
    assert.deepEqual(cron("range(0, 5) * * * *").sets.minute, [0, 1, 2, 3, 4]);
    assert.deepEqual(cron("(5,) * {0} * *").sets.minute, [5]);
  });

  test('a string field with spaces ("0, 30") stays one field', () => {
    assert.deepEqual(cron("0, 30 * * * *").sets.minute, [0, 30]);
  });

  test("field syntax: steps, ranges, lists, names, wrap-around, Sunday as 7", () => {
    const field = (name: Parameters<typeof expandCrontabField>[0], spec: string) => {
      const r = expandCrontabField(name, spec);
      assert.ok(r.ok, `${name} "${spec}" should parse: ${JSON.stringify(r)}`);
      return r.value;
    };
    assert.deepEqual(field("minute", "*/15"), [0, 15, 30, 45]);
    assert.deepEqual(field("minute", "0-30/10"), [0, 10, 20, 30]);
    assert.deepEqual(field("minute", "1,13,30-33"), [1, 13, 30, 31, 32, 33]);
    assert.deepEqual(field("hour", "22-2/2"), [0, 2, 22]); // Celery: [22,23,0,1,2][::2]
    assert.deepEqual(field("day_of_month", "*/10"), [1, 11, 21, 31]);
    assert.deepEqual(field("month_of_year", "2-12/2"), [2, 4, 6, 8, 10, 12]);
    assert.deepEqual(field("day_of_week", "sun,sat"), [0, 6]);
    assert.deepEqual(field("day_of_week", "sunday,Mon"), [0, 1]);
    assert.deepEqual(field("day_of_week", "fri-mon"), [0, 1, 5, 6]);
    assert.deepEqual(field("day_of_week", "7"), [0]);
    assert.deepEqual(field("day_of_week", "1-7"), ALL_DOW);
    assert.deepEqual(field("day_of_week", "*/2"), [0, 2, 4, 6]);
  });

  test("field errors name the field and the problem", () => {
    const error = (name: Parameters<typeof expandCrontabField>[0], spec: string) => {
      const r = expandCrontabField(name, spec);
      assert.equal(r.ok, false, `${name} "${spec}" should fail`);
      return (r as { error: string }).error;
    };
    assert.equal(error("minute", "61"), 'minute field "61": 61 is out of range 0-59');
    assert.equal(error("hour", "24"), 'hour field "24": 24 is out of range 0-23');
    assert.equal(error("day_of_month", "0"), 'day_of_month field "0": 0 is out of range 1-31');
    assert.equal(error("month_of_year", "13"), 'month_of_year field "13": 13 is out of range 1-12');
    assert.equal(error("day_of_week", "8"), 'day_of_week field "8": 8 is out of range 0-6');
    assert.equal(error("day_of_week", "funday"), 'day_of_week field "funday": "funday" is not a number or a day name');
    assert.equal(error("minute", "mon"), 'minute field "mon": "mon" is not a number');
    assert.equal(error("minute", "*/0"), 'minute field "*/0": step "0" must be a positive integer');
    assert.equal(error("minute", "5/15"), 'minute field "5/15": step "/15" needs a range or * before it');
    assert.equal(error("minute", "1,,2"), 'minute field "1,,2": empty item in list');
    assert.equal(error("minute", "{0, 60}"), 'minute field "{0, 60}": 60 is out of range 0-59');
    assert.equal(error("minute", "set()"), 'minute field "set()": no values');
    assert.equal(error("minute", ""), 'minute field "": empty field');
  });
});

describe("parseScheduleRepr: solar and clocked", () => {
  test("solar repr", () => {
    assert.deepEqual(parseScheduleRepr("<solar: sunrise at latitude 40.7, longitude: -74.0>"), {
      kind: "solar",
      event: "sunrise",
      latitude: 40.7,
      longitude: -74,
    });
    assert.deepEqual(parseScheduleRepr("<solar: dusk_astronomical at latitude -33, longitude: 151.21>"), {
      kind: "solar",
      event: "dusk_astronomical",
      latitude: -33,
      longitude: 151.21,
    });
  });

  test("clocked repr (django-celery-beat)", () => {
    const at = (repr: string) => iso((parsed(repr) as { at: Date }).at);
    assert.equal(at("<clocked: 2026-12-01 10:00:00+00:00>"), "2026-12-01T10:00:00.000Z");
    assert.equal(at("<clocked: 2026-12-01 11:00:00+01:00>"), "2026-12-01T10:00:00.000Z");
    assert.equal(at("<clocked: 2026-12-01 05:00:00-05:00>"), "2026-12-01T10:00:00.000Z");
    assert.equal(at("<clocked: 2026-12-01 10:00:00.250000+00:00 True>"), "2026-12-01T10:00:00.250Z");
    assert.equal(at("<clocked: 2026-12-01 10:00:00>"), "2026-12-01T10:00:00.000Z"); // naive = UTC
    assert.equal(parsed("<clocked: 2026-12-01 10:00:00+00:00>").kind, "clocked");
  });
});

describe("parseScheduleRepr: bad input gives an error, never a throw", () => {
  test("garbage strings", () => {
    expectError("every day", /not a number of seconds, a timedelta or a schedule repr/);
    expectError("", /not a number of seconds/);
    expectError("<crontab 0 0 * * *>", /not a number of seconds/);
    expectError("<interval: 5>", /unsupported schedule type "interval"/);
    expectError("<freq: soon>", /freq schedule/);
    expectError("<solar: sunrise>", /solar schedule/);
    expectError("<clocked: tomorrow>", /clocked schedule is not a date and time/);
    expectError("-1 day, 23:59:00", /interval is negative/);
  });

  test("bad crontabs", () => {
    expectError("<crontab: 61 * * * *>", /minute field "61": 61 is out of range 0-59/);
    expectError("<crontab: 0 24 * * * (m/h/d/dM/MY)>", /hour field "24"/);
    expectError("<crontab: 0 0 * * (m/h/d/dM/MY)>", /expected 5 crontab fields, found 4/);
    expectError("<crontab: 0 0 * * * * (m/h/d/dM/MY)>", /expected 5 crontab fields, found 6/);
    expectError("<crontab: 0 0 funday * * (m/h/d/dM/MY)>", /day_of_week field "funday"/);
    expectError("<crontab: {0, 30 * * * * (m/h/d/dM/MY)>", /unbalanced brackets/);
    expectError("<crontab: 0 0 * * * (x/y/z)>", /unknown crontab field order/);
    // Celery accepts 30 February but its scheduler can never roll over to it.
    expectError("<crontab: 0 0 * 30 2 (m/h/d/dM/MY)>", /never fires/);
  });

  test("bad solar and clocked values", () => {
    expectError("<solar: moonrise at latitude 1.0, longitude: 2.0>", /unknown solar event "moonrise"/);
    expectError("<solar: sunrise at latitude 91.0, longitude: 0.0>", /latitude 91.0 is outside/);
    expectError("<solar: sunrise at latitude 0.0, longitude: 181.0>", /longitude 181.0 is outside/);
    expectError("<clocked: 2026-02-30 10:00:00+00:00>", /impossible date/);
  });

  test("non-string values", () => {
    expectError(null, /got null/);
    expectError(undefined, /got undefined/);
    expectError({ every: 30 }, /got object/);
    expectError([30], /got array/);
    expectError(true, /got boolean/);
    expectError(Number.NaN, /not a finite number/);
    expectError(Number.POSITIVE_INFINITY, /not a finite number/);
    expectError(-5, /negative/);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expectError(circular, /got object/);
  });

  test("the error names the input", () => {
    assert.deepEqual(parseScheduleRepr("<crontab: 61 * * * *>"), {
      kind: "error",
      error: 'bad crontab: minute field "61": 61 is out of range 0-59',
      input: "<crontab: 61 * * * *>",
    });
  });
});

describe("nextCrontabRun", () => {
  const next = (fields: string, after: string, tz = "UTC") => iso(nextCrontabRun(cron(fields), new Date(after), tz));
  const sequence = (fields: string, after: string, tz: string, n: number) => {
    const out: string[] = [];
    let t = new Date(after);
    for (let i = 0; i < n; i++) {
      t = nextCrontabRun(cron(fields), t, tz);
      out.push(t.toISOString());
    }
    return out;
  };

  test("daily, strictly after", () => {
    assert.equal(next("0 0 * * *", "2026-01-31T12:00:00Z"), "2026-02-01T00:00:00.000Z");
    assert.equal(next("0 0 * * *", "2026-02-01T00:00:00Z"), "2026-02-02T00:00:00.000Z");
    assert.equal(next("0 0 * * *", "2026-01-31T23:59:59.999Z"), "2026-02-01T00:00:00.000Z");
  });

  test("month ends and year end", () => {
    assert.equal(next("0 12 * 31 *", "2026-04-15T00:00:00Z"), "2026-05-31T12:00:00.000Z"); // no 31 April
    assert.equal(next("45 23 * 28-31 *", "2026-12-31T23:50:00Z"), "2027-01-28T23:45:00.000Z");
    assert.equal(next("0 0 * 1 */3", "2026-05-10T00:00:00Z"), "2026-07-01T00:00:00.000Z");
  });

  test("29 February: leap years only, and 2100 is not one", () => {
    assert.equal(next("0 0 * 29 2", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00.000Z");
    assert.equal(next("0 0 * 29 2", "2028-02-29T00:00:00Z"), "2032-02-29T00:00:00.000Z");
    assert.equal(next("0 0 * 29 2", "2096-03-01T00:00:00Z"), "2104-02-29T00:00:00.000Z");
  });

  test("day_of_week AND day_of_month (not OR as in Unix cron)", () => {
    // First Monday of the month: 2026-06-01 is a Monday; the next one is 6 July, not 2 June.
    assert.equal(next("0 9 mon 1-7 *", "2026-06-01T10:00:00Z"), "2026-07-06T09:00:00.000Z");
    // Friday the 13th.
    assert.equal(next("0 12 fri 13 *", "2026-01-01T00:00:00Z"), "2026-02-13T12:00:00.000Z");
    assert.equal(next("0 12 fri 13 *", "2026-03-14T00:00:00Z"), "2026-11-13T12:00:00.000Z");
    // 29 February on a Monday: 2044. Found by skipping months, quickly.
    const started = Date.now();
    assert.equal(next("0 0 mon 29 2", "2026-01-01T00:00:00Z"), "2044-02-29T00:00:00.000Z");
    assert.ok(Date.now() - started < 1000);
  });

  test("steps and lists", () => {
    assert.equal(next("*/15 * * * *", "2026-05-05T10:07:30Z"), "2026-05-05T10:15:00.000Z");
    assert.equal(next("*/15 * * * *", "2026-05-05T23:50:00Z"), "2026-05-06T00:00:00.000Z");
    assert.equal(next("0-30/10 */3 * * *", "2026-05-05T04:31:00Z"), "2026-05-05T06:00:00.000Z");
    assert.equal(next("{0, 30} 1,13 * * *", "2026-05-05T01:30:00Z"), "2026-05-05T13:00:00.000Z");
    assert.equal(next("30 7 mon-fri * *", "2026-01-09T08:00:00Z"), "2026-01-12T07:30:00.000Z"); // Fri -> Mon
  });

  test("time zones", () => {
    assert.equal(next("0 0 * * *", "2026-07-01T12:00:00Z", "Europe/Paris"), "2026-07-01T22:00:00.000Z");
    assert.equal(next("0 0 * * *", "2026-01-15T12:00:00Z", "Europe/Paris"), "2026-01-15T23:00:00.000Z");
    assert.equal(next("0 9 * * *", "2026-07-01T00:00:00Z", "America/New_York"), "2026-07-01T13:00:00.000Z");
    assert.equal(next("0 9 * * *", "2026-01-15T00:00:00Z", "America/New_York"), "2026-01-15T14:00:00.000Z");
    // Friday 08:00 in New York is 13:00 UTC; next weekday run is Monday 07:30 EST.
    assert.equal(next("30 7 mon-fri * *", "2026-01-09T13:00:00Z", "America/New_York"), "2026-01-12T12:30:00.000Z");
    // 05:30 in Kolkata (UTC+5:30) is midnight UTC; exactly at it, the next is a day later.
    assert.equal(next("30 5 * * *", "2026-05-31T23:59:00Z", "Asia/Kolkata"), "2026-06-01T00:00:00.000Z");
    assert.equal(next("30 5 * * *", "2026-06-01T00:00:00Z", "Asia/Kolkata"), "2026-06-02T00:00:00.000Z");
  });

  test("Paris, clocks forward (29 March 2026, 02:00 CET -> 03:00 CEST): skipped times run at the change", () => {
    assert.equal(next("30 2 * * *", "2026-03-29T00:00:00Z", "Europe/Paris"), "2026-03-29T01:00:00.000Z");
    assert.deepEqual(sequence("30 2 * * *", "2026-03-28T00:00:00Z", "Europe/Paris", 3), [
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:00:00.000Z", // 02:30 does not exist: 03:00 CEST
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
    ]);
    assert.deepEqual(sequence("*/15 * * * *", "2026-03-29T00:40:00Z", "Europe/Paris", 3), [
      "2026-03-29T00:45:00.000Z", // 01:45 CET
      "2026-03-29T01:00:00.000Z", // 03:00 CEST
      "2026-03-29T01:15:00.000Z",
    ]);
  });

  test("Paris, clocks back (25 October 2026, 03:00 CEST -> 02:00 CET): a repeated time runs once", () => {
    assert.deepEqual(sequence("30 2 * * *", "2026-10-24T12:00:00Z", "Europe/Paris", 2), [
      "2026-10-25T00:30:00.000Z", // 02:30 CEST, the first pass
      "2026-10-26T01:30:00.000Z", // 02:30 CET the next day
    ]);
    assert.deepEqual(sequence("*/15 * * * *", "2026-10-25T00:40:00Z", "Europe/Paris", 3), [
      "2026-10-25T00:45:00.000Z", // 02:45 CEST
      "2026-10-25T02:00:00.000Z", // 03:00 CET: the second pass of 02:xx is skipped, as Celery 5.2 does
      "2026-10-25T02:15:00.000Z",
    ]);
    // During the second pass itself.
    assert.equal(next("*/15 * * * *", "2026-10-25T01:10:00Z", "Europe/Paris"), "2026-10-25T02:00:00.000Z");
  });

  test("New York, both changes in 2026", () => {
    // 8 March: 02:00 EST -> 03:00 EDT at 07:00 UTC.
    assert.equal(next("30 2 * * *", "2026-03-08T00:00:00Z", "America/New_York"), "2026-03-08T07:00:00.000Z");
    assert.equal(next("0 3 * * *", "2026-03-08T00:00:00Z", "America/New_York"), "2026-03-08T07:00:00.000Z");
    // 1 November: 02:00 EDT -> 01:00 EST at 06:00 UTC; 01:30 happens twice, runs at the first.
    assert.deepEqual(sequence("30 1 * * *", "2026-10-31T12:00:00Z", "America/New_York", 2), ["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]);
  });

  test("unknown time zone throws RangeError", () => {
    assert.throws(() => nextCrontabRun(cron("0 0 * * *"), new Date("2026-01-01T00:00:00Z"), "Mars/Olympus"), RangeError);
  });
});

describe("nextSolarRun", () => {
  const near = (actual: Date | null, expected: string, minutes = 3) => {
    assert.ok(actual, `expected a time near ${expected}`);
    const diff = Math.abs(actual.getTime() - Date.parse(expected)) / 60_000;
    assert.ok(diff <= minutes, `${actual.toISOString()} is ${diff.toFixed(1)} min from ${expected}`);
  };

  test("New York (40.7, -74.0)", () => {
    near(nextSolarRun("sunrise", 40.7, -74.0, new Date("2026-06-21T00:00:00Z")), "2026-06-21T09:25:04Z"); // 05:25 EDT
    near(nextSolarRun("sunrise", 40.7, -74.0, new Date("2026-12-21T00:00:00Z")), "2026-12-21T12:16:29Z"); // 07:16 EST
    near(nextSolarRun("sunset", 40.7, -74.0, new Date("2026-12-21T00:00:00Z")), "2026-12-21T21:31:50Z"); // 16:32 EST
    near(nextSolarRun("solar_noon", 40.7, -74.0, new Date("2026-06-21T00:00:00Z")), "2026-06-21T16:57:51Z");
    near(nextSolarRun("dawn_civil", 40.7, -74.0, new Date("2026-06-21T00:00:00Z")), "2026-06-21T08:51:37Z");
    near(nextSolarRun("dawn_nautical", 40.7, -74.0, new Date("2026-06-21T00:00:00Z")), "2026-06-21T08:08:58Z");
    near(nextSolarRun("dusk_astronomical", 40.7, -74.0, new Date("2026-12-21T00:00:00Z")), "2026-12-21T23:10:39Z");
  });

  test("London, Sydney, Tokyo", () => {
    near(nextSolarRun("sunrise", 51.5074, -0.1278, new Date("2026-06-21T00:00:00Z")), "2026-06-21T03:43:08Z"); // 04:43 BST
    near(nextSolarRun("sunset", 51.5074, -0.1278, new Date("2026-06-21T00:00:00Z")), "2026-06-21T20:21:30Z"); // 21:21 BST
    // Sydney's sunrise on 2 March local time is still 1 March in UTC.
    near(nextSolarRun("sunrise", -33.87, 151.21, new Date("2026-03-01T00:00:00Z")), "2026-03-01T19:43:26Z");
    near(nextSolarRun("sunrise", 35.68, 139.69, new Date("2026-09-10T20:00:00Z")), "2026-09-10T20:20:29Z");
  });

  test("strictly after: the next day once today has passed", () => {
    const today = nextSolarRun("sunrise", 40.7, -74.0, new Date("2026-06-21T00:00:00Z"))!;
    near(nextSolarRun("sunrise", 40.7, -74.0, today), "2026-06-22T09:25:18Z");
  });

  test("polar night and midnight sun", () => {
    // Svalbard (80 N): no sunrise from late October; the first one is on 21 February.
    near(nextSolarRun("sunrise", 80, 15, new Date("2026-12-15T00:00:00Z")), "2027-02-21T10:19:42Z");
    // ...but the sun still transits, and civil twilight comes back earlier.
    near(nextSolarRun("solar_noon", 80, 15, new Date("2026-12-15T00:00:00Z")), "2026-12-15T10:55:06Z");
    near(nextSolarRun("dawn_civil", 80, 15, new Date("2026-12-15T00:00:00Z")), "2027-02-05T10:45:10Z");
    // Midnight sun: the first sunset after 1 May is at the end of August.
    near(nextSolarRun("sunset", 80, 15, new Date("2026-05-01T00:00:00Z")), "2026-08-29T22:31:02Z");
    // McMurdo (77.85 S) in the southern winter.
    near(nextSolarRun("sunrise", -77.85, 166.67, new Date("2026-06-01T00:00:00Z")), "2026-08-19T00:20:26Z");
  });

  test("null when it does not happen within a year", () => {
    // At the pole the sunrise equation has no hour angle.
    assert.equal(nextSolarRun("sunrise", 90, 0, new Date("2026-06-01T00:00:00Z")), null);
    assert.equal(nextSolarRun("sunrise", 95, 0, new Date("2026-06-01T00:00:00Z")), null);
    assert.equal(nextSolarRun("sunrise", 40, 0, new Date(Number.NaN)), null);
  });
});

describe("describeSchedule", () => {
  const text = (value: unknown, tz?: string) => describeSchedule(parsed(value), tz);

  test("intervals", () => {
    assert.equal(text(30.0), "every 30 seconds");
    assert.equal(text(1), "every 1 second");
    assert.equal(text(90), "every 1 minute 30 seconds");
    assert.equal(text("0:05:00"), "every 5 minutes");
    assert.equal(text("<freq: 1.00 hour>"), "every 1 hour");
    assert.equal(text(5400), "every 1 hour 30 minutes");
    assert.equal(text("1 day, 2:00:00"), "every 1 day 2 hours");
    assert.equal(text("2 days, 0:00:00"), "every 2 days");
    assert.equal(text("3 days, 0:00:00.500000"), "every 3 days 0.5 seconds");
    assert.equal(text("<freq: now>"), "continuously (less than a second apart)");
  });

  test("crontabs", () => {
    const c = (fields: string, tz?: string) => text(`<crontab: ${fields} (m/h/d/dM/MY)>`, tz);
    assert.equal(c("0 0 * * *"), "at 00:00 every day");
    assert.equal(c("30 7 mon-fri * *"), "at 07:30 Monday to Friday");
    assert.equal(c("*/15 * * * *"), "every 15 minutes");
    assert.equal(c("0,30 * * * *"), "every 30 minutes");
    assert.equal(c("* * * * *"), "every minute");
    assert.equal(c("0 * * * *"), "at minute 0 of every hour");
    assert.equal(c("15,45 * * * *"), "at minutes 15 and 45 of every hour");
    assert.equal(c("0 */2 * * *"), "at minute 0 of every 2nd hour");
    assert.equal(c("0 9,17 * * *"), "at 09:00 and 17:00 every day");
    assert.equal(c("*/20 9-17 mon-fri * *"), "every 20 minutes from 09:00 to 17:40 Monday to Friday");
    assert.equal(c("0 0 * 1 *"), "at 00:00 on day 1 of the month");
    assert.equal(c("0 0 * 1,15 *"), "at 00:00 on days 1 and 15 of the month");
    assert.equal(c("0 0 * 29 2"), "at 00:00 on day 29 of February");
    assert.equal(c("0 0 * 1 */3"), "at 00:00 on day 1 of January, April, July and October");
    assert.equal(c("0 0 * * 12"), "at 00:00 every day in December");
    assert.equal(c("0 0 * * 1,7"), "at 00:00 every day in January and July");
    assert.equal(c("*/15 * * * 6-8"), "every 15 minutes from June to August");
    assert.equal(c("30 7 mon-fri * 12"), "at 07:30 Monday to Friday in December");
    assert.equal(c("0 9 mon 1-7 *"), "at 09:00 on days 1 to 7 of the month, if it falls on Monday");
    assert.equal(c("0 0 sun,sat * *"), "at 00:00 on Saturday and Sunday");
    assert.equal(c("0 8 fri-mon * *"), "at 08:00 Friday to Monday");
    assert.equal(c("0 8 mon,wed,fri * *"), "at 08:00 on Monday, Wednesday and Friday");
  });

  test("crontab time zone is named unless UTC", () => {
    const c = (tz: string) => text("<crontab: 0 0 * * * (m/h/d/dM/MY)>", tz);
    assert.equal(c("Europe/Paris"), "at 00:00 every day (Europe/Paris)");
    assert.equal(c("UTC"), "at 00:00 every day");
    assert.equal(c("Etc/UTC"), "at 00:00 every day");
  });

  test("complex crontabs fall back to the raw fields", () => {
    assert.equal(text("<crontab: */7 9,17 * * * (m/h/d/dM/MY)>"), "crontab(minute='*/7', hour='9,17')");
    assert.equal(text("<crontab: {5, 17, 29, 41, 53} */5 * * * (m/h/d/dM/MY)>", "Asia/Tokyo"), "crontab(minute={5, 17, 29, 41, 53}, hour='*/5') (Asia/Tokyo)");
  });

  test("solar and clocked", () => {
    assert.equal(text("<solar: sunrise at latitude 40.7, longitude: -74.0>"), "at sunrise at 40.7, -74.0");
    assert.equal(text("<solar: dusk_civil at latitude 51.5, longitude: 0>"), "at civil dusk at 51.5, 0.0");
    assert.equal(text("<clocked: 2026-12-01 10:00:00+00:00>"), "once at 2026-12-01 10:00 UTC");
    assert.equal(text("<clocked: 2026-12-01 10:00:00+00:00>", "Europe/Paris"), "once at 2026-12-01 11:00 (Europe/Paris)");
    assert.equal(text("<clocked: 2026-12-01 10:00:30+00:00>"), "once at 2026-12-01 10:00:30 UTC");
  });
});

describe("computeSchedule", () => {
  const now = new Date("2026-06-01T12:00:00Z");

  test("interval: last run + interval, due now if overdue, unknown without a last run", () => {
    assert.deepEqual(computeSchedule(30.0, { now, timeZone: "UTC", lastRun: new Date("2026-06-01T11:59:50Z") }), {
      kind: "interval",
      human: "every 30 seconds",
      next_run: "2026-06-01T12:00:20.000Z",
      raw: "30",
    });
    assert.equal(computeSchedule("0:05:00", { now, timeZone: "UTC", lastRun: new Date("2026-06-01T10:00:00Z") }).next_run, "2026-06-01T12:00:00.000Z");
    assert.deepEqual(computeSchedule("0:05:00", { now, timeZone: "UTC" }), {
      kind: "interval",
      human: "every 5 minutes",
      next_run: null,
      raw: "0:05:00",
    });
    assert.equal(computeSchedule(30, { now, timeZone: "UTC", lastRun: null }).next_run, null);
  });

  test("crontab: from now, in the app time zone", () => {
    assert.deepEqual(computeSchedule("<crontab: 0 0 * * * (m/h/d/dM/MY)>", { now, timeZone: "Europe/Paris" }), {
      kind: "crontab",
      human: "at 00:00 every day (Europe/Paris)",
      next_run: "2026-06-01T22:00:00.000Z",
      raw: "<crontab: 0 0 * * * (m/h/d/dM/MY)>",
    });
    // lastRun does not matter for crontabs.
    assert.equal(
      computeSchedule("<crontab: 30 7 mon-fri * * (m/h/d/dM/MY)>", {
        now,
        timeZone: "UTC",
        lastRun: new Date("2020-01-01T00:00:00Z"),
      }).next_run,
      "2026-06-02T07:30:00.000Z",
    );
  });

  test("solar", () => {
    const r = computeSchedule("<solar: sunrise at latitude 40.7, longitude: -74.0>", {
      now: new Date("2026-06-21T00:00:00Z"),
      timeZone: "UTC",
    });
    assert.equal(r.kind, "solar");
    assert.equal(r.human, "at sunrise at 40.7, -74.0");
    assert.match(r.next_run!, /^2026-06-21T09:2[4-6]:/);
  });

  test("clocked: the time if still ahead, else null", () => {
    assert.equal(computeSchedule("<clocked: 2026-12-01 10:00:00+00:00>", { now, timeZone: "UTC" }).next_run, "2026-12-01T10:00:00.000Z");
    assert.deepEqual(computeSchedule("<clocked: 2026-01-01 10:00:00+00:00>", { now, timeZone: "UTC" }), {
      kind: "clocked",
      human: "once at 2026-01-01 10:00 UTC",
      next_run: null,
      raw: "<clocked: 2026-01-01 10:00:00+00:00>",
    });
  });

  test("unknown values keep the raw text and the reason", () => {
    assert.deepEqual(computeSchedule("<crontab: 61 * * * *>", { now, timeZone: "UTC" }), {
      kind: "unknown",
      human: "<crontab: 61 * * * *>",
      next_run: null,
      raw: "<crontab: 61 * * * *>",
      error: 'bad crontab: minute field "61": 61 is out of range 0-59',
    });
    const obj = computeSchedule({ every: 30 }, { now, timeZone: "UTC" });
    assert.equal(obj.kind, "unknown");
    assert.equal(obj.raw, '{"every":30}');
    assert.equal(computeSchedule(null, { now, timeZone: "UTC" }).raw, "null");
  });

  test("an unknown time zone falls back to UTC and says so", () => {
    assert.deepEqual(computeSchedule("<crontab: 0 0 * * * (m/h/d/dM/MY)>", { now, timeZone: "Mars/Olympus" }), {
      kind: "crontab",
      human: "at 00:00 every day",
      next_run: "2026-06-02T00:00:00.000Z",
      raw: "<crontab: 0 0 * * * (m/h/d/dM/MY)>",
      error: 'unknown time zone "Mars/Olympus", times computed in UTC',
    });
  });
});
