// Celery solar schedules: next time of a solar event at a place.
// NOAA's sunrise equation (the one behind the NOAA Solar Calculator): solar declination and the
// equation of time from low-precision orbital elements, then the hour angle at which the sun's
// centre reaches the event's altitude. Good to about a minute below the polar circles, which is
// plenty for a monitor (Celery itself uses the ephem library).

export const SOLAR_EVENTS = [
  "dawn_astronomical",
  "dawn_nautical",
  "dawn_civil",
  "sunrise",
  "solar_noon",
  "sunset",
  "dusk_civil",
  "dusk_nautical",
  "dusk_astronomical",
] as const;

export type SolarEvent = (typeof SOLAR_EVENTS)[number];

export function isSolarEvent(value: string): value is SolarEvent {
  return (SOLAR_EVENTS as readonly string[]).includes(value);
}

/** Altitude of the sun's centre at the event, degrees. -0.833 = refraction (34') + solar radius (16'). */
const HORIZON: Record<SolarEvent, number> = {
  dawn_astronomical: -18,
  dawn_nautical: -12,
  dawn_civil: -6,
  sunrise: -0.833,
  solar_noon: 0, // unused: noon is the transit
  sunset: -0.833,
  dusk_civil: -6,
  dusk_nautical: -12,
  dusk_astronomical: -18,
};

const DIRECTION: Record<SolarEvent, -1 | 0 | 1> = {
  dawn_astronomical: -1,
  dawn_nautical: -1,
  dawn_civil: -1,
  sunrise: -1,
  solar_noon: 0,
  sunset: 1,
  dusk_civil: 1,
  dusk_nautical: 1,
  dusk_astronomical: 1,
};

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How far ahead to look before concluding the event does not happen (polar day or night). */
const SEARCH_DAYS = 370;

const rad = (deg: number) => (deg * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

/**
 * The first occurrence of `event` strictly after `after` at latitude/longitude (degrees, north and
 * east positive), or null if it does not happen within about a year (e.g. sunrise at the pole,
 * where the equation has no hour angle, or bad coordinates).
 */
export function nextSolarRun(event: SolarEvent, latitude: number, longitude: number, after: Date): Date | null {
  const afterMs = after.getTime();
  if (!Number.isFinite(afterMs) || !isSolarEvent(event)) return null;
  if (!(Math.abs(latitude) <= 90) || !(Math.abs(longitude) <= 180)) return null;
  // Each UTC day has one event near its local solar noon; start a day early because far east
  // (or west) of Greenwich an event can fall on the neighbouring UTC date.
  const firstDay = Math.floor(afterMs / DAY) * DAY - DAY;
  for (let i = 0; i <= SEARCH_DAYS + 1; i++) {
    const t = solarEventOnDay(event, latitude, longitude, firstDay + i * DAY);
    if (t === null) continue;
    // Whole seconds (the method is not more precise than that); compare after rounding so the
    // result is strictly after `after` even when `after` is the previous result.
    const rounded = Math.round(t / 1000) * 1000;
    if (rounded > afterMs) return new Date(rounded);
  }
  return null;
}

/** The event belonging to the solar day whose noon is near `dayStartMs` (a UTC midnight) + 12 h - longitude. */
export function solarEventOnDay(event: SolarEvent, latitude: number, longitude: number, dayStartMs: number): number | null {
  const direction = DIRECTION[event];
  const phi = rad(latitude);
  const h0 = rad(HORIZON[event]);
  // The sun's declination changes during the day, so evaluate it at the event time: start at noon
  // and refine. Deciding "no event" only on the last pass matters near the polar thresholds, where
  // the noon declination alone would answer for the wrong half of the day.
  let t = dayStartMs + (720 - 4 * longitude) * MINUTE;
  const passes = 4;
  for (let i = 0; i < passes; i++) {
    const { declination, equationOfTime } = sunPosition(t);
    const noon = dayStartMs + (720 - 4 * longitude - equationOfTime) * MINUTE;
    if (direction === 0) {
      t = noon;
      continue;
    }
    const cosH = (Math.sin(h0) - Math.sin(phi) * Math.sin(declination)) / (Math.cos(phi) * Math.cos(declination));
    if (!Number.isFinite(cosH)) return null; // at a pole the equation has no hour angle
    // |cosH| > 1: the sun stays above (polar day) or below (polar night) this altitude all day.
    if ((cosH < -1 || cosH > 1) && i === passes - 1) return null;
    t = noon + direction * 4 * deg(Math.acos(Math.min(1, Math.max(-1, cosH)))) * MINUTE;
  }
  return t;
}

/** Declination (radians) and equation of time (minutes) at an instant, per NOAA's formulas. */
function sunPosition(ms: number): { declination: number; equationOfTime: number } {
  const julianDay = ms / DAY + 2440587.5;
  const t = (julianDay - 2451545) / 36525; // Julian centuries since J2000.0
  const meanLongitude = mod(280.46646 + t * (36000.76983 + t * 0.0003032), 360);
  const meanAnomaly = 357.52911 + t * (35999.05029 - 0.0001537 * t);
  const eccentricity = 0.016708634 - t * (0.000042037 + 0.0000001267 * t);
  const m = rad(meanAnomaly);
  const equationOfCentre = Math.sin(m) * (1.914602 - t * (0.004817 + 0.000014 * t)) + Math.sin(2 * m) * (0.019993 - 0.000101 * t) + Math.sin(3 * m) * 0.000289;
  const omega = rad(125.04 - 1934.136 * t);
  const apparentLongitude = rad(meanLongitude + equationOfCentre - 0.00569 - 0.00478 * Math.sin(omega));
  const meanObliquity = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60;
  const obliquity = rad(meanObliquity + 0.00256 * Math.cos(omega));
  const declination = Math.asin(Math.sin(obliquity) * Math.sin(apparentLongitude));

  const y = Math.tan(obliquity / 2) ** 2;
  const l0 = rad(meanLongitude);
  const e = eccentricity;
  const equationOfTime =
    4 *
    deg(
      y * Math.sin(2 * l0) - 2 * e * Math.sin(m) + 4 * e * y * Math.sin(m) * Math.cos(2 * l0) - 0.5 * y * y * Math.sin(4 * l0) - 1.25 * e * e * Math.sin(2 * m),
    );
  return { declination, equationOfTime };
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
