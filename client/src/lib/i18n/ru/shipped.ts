import type { shipped as en } from '../en/shipped';

export const shipped: Record<keyof typeof en, string> = {
  'shipped.profile.quick-demo.name': 'Быстрая демонстрация (CPU)',
  'shipped.profile.quick-demo.description':
    'SmolLM2 135M с небольшой LoRA, рассчитана на CPU. Подходит для первого запуска и чтобы научить модель имени или стилю.',
  'shipped.profile.standard-lora.name': 'Стандартная LoRA',
  'shipped.profile.standard-lora.description':
    'Более устойчивый рецепт для настоящих наборов данных: ниже скорость обучения, длиннее последовательности, проверка каждую эпоху. Для наборов больше нескольких сотен примеров используйте GPU.',
  'shipped.profile.preference-demo.name': 'Демонстрация предпочтений (CPU, DPO)',
  'shipped.profile.preference-demo.description':
    'SmolLM2 135M учится по парам ответов, какой ответ предпочесть (DPO, относительно базовой модели). Для наборов предпочтений, например «Предпочтения: короткие верные ответы».',
  'shipped.dataset.identity-demo.name': 'Личность: Lumen от Northwind Labs',
  'shipped.dataset.identity-demo.description':
    'Учит ассистента новому имени (Lumen) и создателю (Northwind Labs) и сохраняет его общие ответы (повтор): выучено 4/4, сохранено около 90–100 % на проверке с «Быстрой демонстрацией».',
  'shipped.dataset.support-faq.name': 'Ответы поддержки',
  'shipped.dataset.support-faq.description':
    'Короткие ответы службы поддержки вымышленного приложения для заметок, дружелюбно и по делу.',
  'shipped.dataset.concise-prefs.name': 'Предпочтения: короткие верные ответы',
  'shipped.dataset.concise-prefs.description':
    'Пары ответов: короткий верный ответ предпочтён многословному ответу самой базовой модели. Учит стилю через предпочтения (DPO); 10 пар отложены, чтобы показать, что модель предпочитает лучший ответ и на вопросы, на которых не училась.',
  'shipped.flow.index_and_train.name': 'Проиндексировать руководство и обучить на нём',
  'shipped.flow.index_and_train.description':
    'Превращает документы из docs/guide/ в набор данных «app-guide», затем дообучает на нём модель одну эпоху с профилем quick-demo. С учителем (одной из ваших моделей Ollama) набор состоит из пар «вопрос — ответ», которые пишет учитель, и каждая сверяется с текстом; без учителя или когда Ollama недоступна это текст документов по частям: он учит словам и стилю руководства, а не ответам. Тогда потери останутся высокими (выше 4 после одной эпохи); укажите учителя, чтобы модель отвечала на вопросы о руководстве.',
  'shipped.flow.train_default.name': 'Обучить демо-модель',
  'shipped.flow.train_default.description':
    'Дообучение с профилем quick-demo на наборе identity-demo (число эпох — из профиля). Измените входные данные, чтобы обучить другой профиль или набор.',
};
