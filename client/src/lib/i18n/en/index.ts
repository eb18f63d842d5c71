// English: the source table, one file per area of the window. Its keys are the message keys;
// every other language has exactly these (each ru/ area is typed with the English one, so a
// missing or extra key is a type error). errors.ts words each error code for the person who
// reads it: what it means and what to do; the backend's message is shown under it as the detail.
import { common } from './common';
import { datasets } from './datasets';
import { documents } from './documents';
import { flows } from './flows';
import { flowWords } from './flowWords';
import { history } from './history';
import { profiles } from './profiles';
import { settingWords } from './settingWords';
import { shipped } from './shipped';
import { statusWords } from './statusWords';
import { talk } from './talk';
import { training } from './training';

export { type ErrorWords, errors } from './errors';

/** Each area's table; a key belongs to exactly one (tests/i18n.test.ts checks). */
export const areas = {
  common, profiles, datasets, documents, training, history, flows, flowWords, settingWords, shipped, statusWords,
  talk,
} as const;

export const en = {
  ...common, ...profiles, ...datasets, ...documents, ...training, ...history, ...flows, ...flowWords, ...settingWords,
  ...shipped, ...statusWords, ...talk,
} as const;

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;
