// Every string a person reads in the window. English now; another locale is one more object
// with the same keys (the type makes a missing key a compile error).

const en = {
  'app.name': 'Ollama Trainer',
  'app.skip': 'Skip to content',
  'nav.label': 'Main',
  'nav.training': 'Training',
  'nav.flows': 'Flows',
  'appInfo.loading': 'Connecting…',
  'appInfo.version': 'Version {version}',
  'appInfo.device': 'Device: {device}',
  'appInfo.offline': 'Not connected: {message}',

  'training.title': 'Training',
  'training.intro': 'Pick a training profile and a dataset to fine-tune a model with LoRA.',
  'training.profiles': 'Profile',
  'training.profiles.loading': 'Loading training profiles…',
  'training.profiles.empty':
    'No training profiles yet. Add one to config/training_profiles.json, then reload.',
  'training.profile.baseModel': 'Base model',
  'training.profile.epochs': 'Epochs',
  'training.datasets': 'Dataset',
  'training.datasets.loading': 'Loading datasets…',
  'training.datasets.empty': 'No datasets yet. Add one to config/datasets.json, then reload.',
  'training.dataset.examples': 'Examples',
  'training.dataset.format': 'Format',
  'training.dataset.valid': 'Valid',
  'training.dataset.invalid': 'Has errors',
  'training.dataset.unknownFormat': 'not detected',
  'training.selection': 'Selected: {profile} on {dataset}',
  'training.selection.none': 'Pick a profile and a dataset.',

  'run.title': 'Run {id}',
  'run.back': 'All training',
  'run.placeholder': 'Live progress and results of this run will appear here.',

  'flows.title': 'Flows',
  'flows.intro': 'Repeatable multi-step jobs, for example: index a folder of documents, then train on it.',
  'flows.files': 'Flow files',
  'flows.empty': 'No flows yet. Put flow files (JSON) in automation/flows, then reload.',
  'flows.run': 'Flow run {id}',
  'flows.back': 'All flows',

  'error.title': 'Something went wrong',
  'error.retry': 'Try again',
  'error.dismiss': 'Dismiss',
  'error.unreachable':
    'Cannot reach the Ollama Trainer backend ({detail}). Is the app still running?',
  'error.noBridge':
    'This page has no connection to the app: open it from Ollama Trainer (desktop window or --browser mode).',
} as const;

export type MessageKey = keyof typeof en;
export type Locale = 'en';

const messages: Record<Locale, Record<MessageKey, string>> = { en };

let locale: Locale = 'en';

export function setLocale(next: Locale): void {
  locale = next;
}

/** The text for `key`, with `{name}` placeholders filled from `params`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const template = messages[locale][key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}
