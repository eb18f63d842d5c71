export const common = {
  'app.name': 'Ollama Trainer',
  'app.skip': 'Skip to content',
  'nav.label': 'Main',
  'nav.training': 'Training',
  'nav.flows': 'Flows',
  'appInfo.loading': 'Connecting…',
  'appInfo.version': 'Version {version}',
  'appInfo.device': 'Device: {device}',
  'appInfo.findingDevice': 'Device: finding it (the trainer loads PyTorch)…',
  'appInfo.offline': 'Not connected: {message}',
  'language.label': 'Language',
  'language.en': 'English',
  'language.ru': 'Русский',

  'error.title': 'Something went wrong',
  'error.retry': 'Try again',
  'error.http': 'The app answered with HTTP error {status}. Reload the page; restart the app if it happens again.',
  'error.dismiss': 'Dismiss',
  'error.details': 'Details',
  'error.unreachable':
    'Cannot reach the Ollama Trainer backend ({detail}). Is the app still running?',
  'error.noBridge':
    'This page has no connection to the app: open it from Ollama Trainer (desktop window or --browser mode).',
} as const;
