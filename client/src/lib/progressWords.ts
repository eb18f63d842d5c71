// A run's progress in words, the same wherever it shows (the run card and the sidebar read one
// snapshot through these): the stage under way outside the training steps with its count and
// time left, the epoch and step counts, and the run's one estimate (the preview, the run card
// and the run page quote it in the same words).
import type { RunEstimate, TrainingStatus } from './contracts.gen';
import { formatDuration } from './format';
import { type MessageKey, t } from './i18n';

/** The stage's own name ('The base answers the general prompts …'). */
export function stageName(stage: string): string {
  return t(`job.stage.${stage}` as MessageKey);
}

/** "Replay: 12 of 40, 0:20 left" while a stage goes on (its count once it has one, its time left
 * once it can be told); null while training steps run. */
export function stageWords(status: TrainingStatus): string | null {
  if (!status.stage) return null;
  const stage = stageName(status.stage);
  if (!status.stage_total) return t('job.stageStarting', { stage });
  const counts = { stage, done: status.stage_done ?? 0, total: status.stage_total };
  return status.eta_s != null && status.eta_s > 0
    ? t('job.stageLeft', { ...counts, left: formatDuration(status.eta_s) })
    : t('job.stage', counts);
}

/** The step within bounds (a snapshot may count one past the last). */
export function shownStep(status: TrainingStatus): number {
  return Math.min(status.step, status.total_steps || Infinity);
}

/** "running · epoch 2 / 3 · step 14 / 30" (the counts once the run knows them). */
export function progressWords(status: TrainingStatus): string {
  const parts = [t(`status.${status.status}`)];
  if (status.total_epochs > 0) parts.push(t('job.epoch', { epoch: status.epoch, total: status.total_epochs }));
  if (status.total_steps > 0) parts.push(t('job.step', { step: shownStep(status), total: status.total_steps }));
  return parts.join(' · ');
}

/** 'CPU', 'CUDA', 'Apple MPS'. */
export function deviceName(device: string): string {
  return device === 'mps' ? 'Apple MPS' : device.toUpperCase();
}

/** "2:49 on CPU (first guess)" or "… (measured on this machine)": what the run is expected to
 * take, and what the figure rests on. */
export function estimateWords(estimate: RunEstimate): string {
  return t('estimate.text', {
    duration: formatDuration(estimate.duration_s),
    device: deviceName(estimate.device),
    basis: t(estimate.basis === 'history' ? 'estimate.basis.history' : 'estimate.basis.formula'),
  });
}
