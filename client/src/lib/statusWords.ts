// A run's status line (TrainingStatus.message) in the window's language: the lines the app and
// the trainer write (training/events.py, manager.py, outcome.py) matched here, each to its words
// in i18n/*/statusWords.ts; any other line (a trainer's notice, a stage's own line) as written.
import { type MessageKey, t } from './i18n';

type Params = Record<string, string>;

const LINES: [RegExp, MessageKey, (m: RegExpMatchArray) => Params][] = [
  [/^loading the base model$/, 'statusLine.loadingBase', () => ({})],
  [/^model loaded on (.+)$/, 'statusLine.modelLoaded', (m) => ({ device: m[1] })],
  [/^(\d+) training examples$/, 'statusLine.trainExamples', (m) => ({ n: m[1] })],
  [
    /^epoch (\d+) \/ (\d+), step (\d+) \/ (\d+)$/,
    'statusLine.progress',
    (m) => ({ epoch: m[1], epochs: m[2], step: m[3], steps: m[4] }),
  ],
  [/^checkpoint saved at step (\d+)$/, 'statusLine.checkpoint', (m) => ({ step: m[1] })],
  [/^sample answers written$/, 'statusLine.samples', () => ({})],
  [/^the merged model file is written$/, 'statusLine.modelFile', () => ({})],
  [
    /^waiting for the running job to end behind (\S+) \(place (\d+) in line\)$/,
    'statusLine.waitingBehind',
    (m) => ({ id: m[1], place: m[2] }),
  ],
  [/^waiting for the running job to end \(place (\d+) in line\)$/, 'statusLine.waiting', (m) => ({ place: m[1] })],
  [/^starting the trainer$/, 'statusLine.starting', () => ({})],
  [/^cancelling: leaving the queue$/, 'statusLine.leavingQueue', () => ({})],
  [/^cancelling: stopping after the current step$/, 'statusLine.stopping', () => ({})],
  [/^running \(kept running when the app was closed\)$/, 'statusLine.keptRunning', () => ({})],
  [/^running in another process$/, 'statusLine.elsewhere', () => ({})],
  [/^training finished$/, 'statusLine.finished', () => ({})],
  [/^training failed$/, 'statusLine.failed', () => ({})],
  [/^cancelled; checkpoint saved at step (\d+)$/, 'statusLine.cancelled', (m) => ({ step: m[1] })],
  [/^cancelled while waiting in line; nothing was trained$/, 'statusLine.cancelledInLine', () => ({})],
  [
    /^the app stopped while this run was in progress; checkpoint saved at step (\d+)$/,
    'statusLine.interrupted',
    (m) => ({ step: m[1] }),
  ],
];

/** `message` in words when it is one of the known lines; as written otherwise. */
export function statusLine(message: string): string {
  for (const [pattern, key, params] of LINES) {
    const match = message.match(pattern);
    if (match) return t(key, params(match));
  }
  return message;
}
