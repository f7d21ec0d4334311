// Celery crontab schedules, in one import: the field grammar (crontab-fields.ts) and the next fire
// time in a time zone (next-fire.ts, on the wall-clock arithmetic of zoned-time.ts).

export {
  buildCrontab,
  CRONTAB_FIELD_NAMES,
  expandCrontabField,
  type Crontab,
  type CrontabFieldName,
  type CrontabFields,
  type CrontabSets,
} from "./crontab-fields";
export { nextCrontabRun } from "./next-fire";
