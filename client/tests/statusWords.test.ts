import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../src/lib/i18n';
import { statusLine } from '../src/lib/statusWords';

afterEach(() => setLocale('en'));

describe('a run status line in words', () => {
  it('words the lines the app writes, in the window language, and leaves others as written', () => {
    expect(statusLine('waiting for the running job to end behind t-1 (place 2 in line)')).toBe(
      'Waiting for t-1 to end (place 2 in line)',
    );
    setLocale('ru');
    expect(statusLine('epoch 1 / 3, step 4 / 18')).toBe('Эпоха 1 / 3, шаг 4 / 18');
    expect(statusLine('model loaded on cpu')).toBe('Модель загружена на cpu');
    expect(statusLine('cancelled; checkpoint saved at step 12')).toBe('Отменено; контрольная точка сохранена на шаге 12');
    expect(statusLine('starting the trainer')).toBe('Запуск обучения');
    expect(statusLine('replay: the base model answers 40 general prompts')).toBe(
      'replay: the base model answers 40 general prompts',
    );
  });
});
