import type { common as en } from '../en/common';

export const common: Record<keyof typeof en, string> = {
  'app.name': 'Ollama Trainer',
  'app.skip': 'К содержимому',
  'nav.label': 'Главное',
  'nav.training': 'Обучение',
  'nav.flows': 'Сценарии',
  'appInfo.loading': 'Подключение…',
  'appInfo.version': 'Версия {version}',
  'appInfo.device': 'Устройство: {device}',
  'appInfo.findingDevice': 'Устройство: определяется (загружается PyTorch)…',
  'appInfo.offline': 'Нет связи: {message}',
  'language.label': 'Язык',
  'language.en': 'English',
  'language.ru': 'Русский',

  'error.title': 'Что-то пошло не так',
  'error.retry': 'Повторить',
  'error.http': 'Приложение ответило ошибкой HTTP {status}. Перезагрузите страницу; если повторится, перезапустите приложение.',
  'error.dismiss': 'Закрыть',
  'error.details': 'Подробности',
  'error.unreachable': 'Нет связи с Ollama Trainer ({detail}). Приложение ещё работает?',
  'error.noBridge':
    'У этой страницы нет связи с приложением: откройте её из Ollama Trainer (окно или режим --browser).',
};
