// Russian: the same areas and keys as en/, each area typed with the English one (a missing or
// extra key is a type error).
import type { Messages } from '../en';
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

export { errors } from './errors';

export const ru: Messages = {
  ...common, ...profiles, ...datasets, ...documents, ...training, ...history, ...flows, ...flowWords, ...settingWords,
  ...shipped, ...statusWords, ...talk,
};
