import { render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../src/lib/api';
import ErrorBanner from '../src/lib/components/ErrorBanner.svelte';
import { ERROR_CODES } from '../src/lib/contracts.gen';
import { TRANSPORT_CODES } from '../src/lib/errorCodes';
import { errorText, LOCALES, setLocale, t } from '../src/lib/i18n';
import { areas, en, errors as enErrors } from '../src/lib/i18n/en';
import { errors as ruErrors, ru } from '../src/lib/i18n/ru';

afterEach(() => setLocale('en'));

describe('error words', () => {
  // A code the backend adds to errors.py fails here until it is worded in every language.
  it.each([...ERROR_CODES, ...TRANSPORT_CODES])('%s is worded in English and Russian', (code) => {
    expect(enErrors[code]?.trim()).toBeTruthy();
    expect(ruErrors[code]?.trim()).toBeTruthy();
    expect(ruErrors[code]).not.toBe(enErrors[code]);
  });

  it('words a known code in the current language, an HTTP status generically, and nothing else', () => {
    expect(errorText('job_running')).toBe(enErrors.job_running);
    setLocale('ru');
    expect(errorText('job_running')).toBe(ruErrors.job_running);
    expect(errorText('http_502')).toContain('502');
    expect(errorText('no_such_code')).toBeNull();
  });

  it('shows the words for the code, the backend message as the detail, and the code', () => {
    setLocale('ru');
    render(ErrorBanner, {
      title: t('job.startFailed'),
      error: new ApiError('job_running', 'a training job is already running: 20250301-100000-ab12'),
    });

    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Обучение не запустилось');
    expect(screen.getByText(ruErrors.job_running)).toBeInTheDocument();
    expect(screen.getByText('a training job is already running: 20250301-100000-ab12')).toHaveClass('detail');
    // The raw code only under Details, closed.
    const details = alert.querySelector('details')!;
    expect(details).not.toHaveAttribute('open');
    expect(details).toHaveTextContent('Подробности');
    expect(details.querySelector('code')).toHaveTextContent('job_running');
  });

  it('shows the message alone for a code it has no words for', () => {
    render(ErrorBanner, { error: { code: 'error', message: 'CUDA out of memory' } });
    expect(screen.getByText('CUDA out of memory')).not.toHaveClass('detail');
  });
});

describe('message tables', () => {
  it('has the same keys in every language, none empty', () => {
    expect(LOCALES).toEqual(['en', 'ru']);
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const table of [en, ru]) {
      for (const [key, text] of Object.entries(table)) expect(text.trim(), key).not.toBe('');
    }
  });

  it('keeps each key in one area table only', () => {
    const inAreas = Object.values(areas).flatMap((table) => Object.keys(table));
    expect(inAreas).toHaveLength(Object.keys(en).length);
  });
});
