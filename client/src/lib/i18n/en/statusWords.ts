// A run's status line in words: what the app and the trainer say a run is doing
// (training/events.py, manager.py, outcome.py), matched in statusWords.ts. A line with no words
// here is shown as the trainer wrote it.
export const statusWords = {
  'statusLine.loadingBase': 'Loading the base model',
  'statusLine.modelLoaded': 'Model loaded on {device}',
  'statusLine.trainExamples': '{n} training examples',
  'statusLine.progress': 'Epoch {epoch} / {epochs}, step {step} / {steps}',
  'statusLine.checkpoint': 'Checkpoint saved at step {step}',
  'statusLine.samples': 'Sample answers written',
  'statusLine.modelFile': 'The merged model file is written',
  'statusLine.waiting': 'Waiting for the running job to end (place {place} in line)',
  'statusLine.waitingBehind': 'Waiting for {id} to end (place {place} in line)',
  'statusLine.starting': 'Starting the trainer',
  'statusLine.leavingQueue': 'Cancelling: leaving the queue',
  'statusLine.stopping': 'Cancelling: stopping after the current step',
  'statusLine.keptRunning': 'Running (kept running when the app was closed)',
  'statusLine.elsewhere': 'Running in another process',
  'statusLine.finished': 'Training finished',
  'statusLine.failed': 'Training failed',
  'statusLine.cancelled': 'Cancelled; checkpoint saved at step {step}',
  'statusLine.cancelledInLine': 'Cancelled while waiting in line; nothing was trained',
  'statusLine.interrupted': 'The app stopped while this run was in progress; checkpoint saved at step {step}',
} as const;
