import type { statusWords as en } from '../en/statusWords';

export const statusWords: Record<keyof typeof en, string> = {
  'statusLine.loadingBase': 'Загрузка базовой модели',
  'statusLine.modelLoaded': 'Модель загружена на {device}',
  'statusLine.trainExamples': 'Примеров для обучения: {n}',
  'statusLine.progress': 'Эпоха {epoch} / {epochs}, шаг {step} / {steps}',
  'statusLine.checkpoint': 'Контрольная точка сохранена на шаге {step}',
  'statusLine.samples': 'Примеры ответов записаны',
  'statusLine.modelFile': 'Файл объединённой модели записан',
  'statusLine.waiting': 'Ожидание конца идущего обучения (место в очереди: {place})',
  'statusLine.waitingBehind': 'Ожидание конца {id} (место в очереди: {place})',
  'statusLine.starting': 'Запуск обучения',
  'statusLine.leavingQueue': 'Отмена: выход из очереди',
  'statusLine.stopping': 'Отмена: остановка после текущего шага',
  'statusLine.keptRunning': 'Идёт (оставлено работать после закрытия приложения)',
  'statusLine.elsewhere': 'Идёт в другом процессе',
  'statusLine.finished': 'Обучение завершено',
  'statusLine.failed': 'Обучение не удалось',
  'statusLine.cancelled': 'Отменено; контрольная точка сохранена на шаге {step}',
  'statusLine.cancelledInLine': 'Отменено в очереди; ничего не обучено',
  'statusLine.interrupted': 'Приложение остановилось во время обучения; контрольная точка сохранена на шаге {step}',
};
