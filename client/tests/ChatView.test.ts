import { fireEvent, render, screen, within } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import ChatView from '../src/lib/components/ChatView.svelte';
import type { FeedbackMark } from '../src/lib/contracts.gen';
import { chatModel } from '../src/lib/router.svelte';
import { fakeBackend } from './helpers';

/** A backend whose answers stream: each chat_send answers `words` one more word per read. */
function streamingBackend(answerFor: (args: Record<string, unknown>) => string, extra = {}) {
  const streams = new Map<string, { words: string[]; shown: number }>();
  let next = 0;
  const marks: FeedbackMark[] = [];
  const read = (id: string) => {
    const s = streams.get(id)!;
    s.shown += 1;
    const done = s.shown >= s.words.length;
    return { stream_id: id, text: s.words.slice(0, s.shown).join(' '), done, cut: false, error: null, seconds: done ? 0.1 : null };
  };
  return fakeBackend({
    chat_send: (args: Record<string, unknown>) => {
      const id = `s${++next}`;
      streams.set(id, { words: answerFor(args).split(' '), shown: 0 });
      return { stream_id: id, text: '', done: false, cut: false, error: null, seconds: null };
    },
    chat_read: (args: Record<string, unknown>) => read(String(args.stream_id)),
    add_feedback: (args: Record<string, unknown>) => {
      marks.push({
        index: marks.length,
        kind: args.kind as FeedbackMark['kind'],
        time: '2026-12-07T15:00:00+00:00',
        prompt: String(args.prompt),
        turns: 1,
        answer: String(args.answer),
        original: (args.original as string) ?? null,
        rejected: (args.rejected as string) ?? null,
      });
      return { dataset_id: 'feedback-t-1', marks: marks.length };
    },
    list_feedback: () => ({ dataset_id: 'feedback-t-1', path: '/data/datasets/feedback-t-1.jsonl', marks: [...marks] }),
    delete_feedback: (args: Record<string, unknown>) => {
      marks.splice(Number(args.index), 1);
      marks.forEach((m, i) => (m.index = i));
      return { dataset_id: 'feedback-t-1', path: '/data/datasets/feedback-t-1.jsonl', marks: [...marks] };
    },
    train_on_feedback: { training_id: 't-2' },
    ...extra,
  });
}

async function say(text: string) {
  const box = screen.getByLabelText('Your message');
  await fireEvent.input(box, { target: { value: text } });
  await fireEvent.keyDown(box, { key: 'Enter' });
}

describe('the Chat page', () => {
  it('streams answers, keeps the talk, and marks good, corrected and the better of two', async () => {
    let sampled = 0;
    const backend = streamingBackend((args) =>
      args.another ? `Sampled answer ${++sampled} here` : args.with_adapter === false ? 'Base says hi' : 'The sky is blue today',
    );
    render(ChatView, { id: 't-1', call: backend.call });
    expect(await screen.findByTestId('feedback-empty')).toBeInTheDocument();

    await say('What colour is the sky?');
    const answer = await screen.findByTestId('chat-answer');
    expect(answer).toHaveAttribute('data-done', 'false'); // written word by word
    await screen.findByText('The sky is blue today');
    expect(screen.getByTestId('chat-answer')).toHaveAttribute('data-done', 'true');

    // Good
    await fireEvent.click(screen.getByRole('button', { name: 'Good' }));
    expect(await screen.findByTestId('chat-marked')).toHaveTextContent('Kept as a good answer');
    expect(await screen.findByTestId('feedback-count')).toHaveTextContent('1 marked in the dataset feedback-t-1');

    // The second turn goes with the talk so far; Correct it, and the talk goes on from the correction
    await say('And grass?');
    const turns = () => screen.getAllByTestId('chat-turn');
    await within(turns()[1]).findByRole('button', { name: 'Correct it' });
    expect(backend.callsOf('chat_send')[1].history).toEqual([
      { role: 'user', content: 'What colour is the sky?' },
      { role: 'assistant', content: 'The sky is blue today' },
    ]);
    await fireEvent.click(within(turns()[1]).getByRole('button', { name: 'Correct it' }));
    const yours = within(turns()[1]).getByLabelText(/Your answer/);
    await fireEvent.input(yours, { target: { value: 'Grass is green.' } });
    await fireEvent.click(within(turns()[1]).getByRole('button', { name: 'Keep my answer' }));
    expect(await within(turns()[1]).findByTestId('chat-marked')).toHaveTextContent(
      'Corrected (the model had said: The sky is blue today)',
    );

    // Another answer, then choose the second: a pair, and the chosen one stays in the talk
    await say('And snow?');
    await within(turns()[2]).findByRole('button', { name: 'Another answer' });
    await fireEvent.click(within(turns()[2]).getByRole('button', { name: 'Another answer' }));
    const choose = await within(turns()[2]).findByTestId('chat-choose');
    await within(choose).findByText('Sampled answer 1 here');
    await fireEvent.click(within(choose).getByRole('button', { name: 'This one is better: Answer 2' }));
    expect(await within(turns()[2]).findByTestId('chat-marked')).toHaveTextContent('Chosen over another answer');
    expect(within(turns()[2]).getByTestId('chat-answer')).toHaveTextContent('Sampled answer 1 here');

    expect(backend.callsOf('add_feedback')).toEqual([
      { training_id: 't-1', kind: 'good', history: [], prompt: 'What colour is the sky?', answer: 'The sky is blue today' },
      {
        training_id: 't-1',
        kind: 'corrected',
        history: [
          { role: 'user', content: 'What colour is the sky?' },
          { role: 'assistant', content: 'The sky is blue today' },
        ],
        prompt: 'And grass?',
        answer: 'Grass is green.',
        original: 'The sky is blue today',
      },
      {
        training_id: 't-1',
        kind: 'pair',
        history: [
          { role: 'user', content: 'What colour is the sky?' },
          { role: 'assistant', content: 'The sky is blue today' },
          { role: 'user', content: 'And grass?' },
          { role: 'assistant', content: 'Grass is green.' },
        ],
        prompt: 'And snow?',
        answer: 'Sampled answer 1 here',
        rejected: 'The sky is blue today',
      },
    ]);
    expect(backend.callsOf('chat_send')[3]).toMatchObject({ training_id: 't-1', another: true, prompt: 'And snow?' });

    // The feedback list shows where each came from, and deletes one
    const listed = await screen.findAllByTestId('feedback-mark');
    expect(listed.map((m) => m.dataset.kind)).toEqual(['good', 'corrected', 'pair']);
    expect(listed[1]).toHaveTextContent('The model had said: The sky is blue today');
    expect(listed[2]).toHaveTextContent('Not chosen: The sky is blue today');
    await fireEvent.click(screen.getByRole('button', { name: 'Delete the mark on “What colour is the sky?”' }));
    expect(await screen.findByTestId('feedback-count')).toHaveTextContent('2 marked');
  });

  it('asks the base beside each answer when asked, and trains on feedback into a new run', async () => {
    const backend = streamingBackend((args) => (args.with_adapter === false ? 'Base says hi' : 'Trained says hi'));
    render(ChatView, { id: 't-1', call: backend.call });
    await fireEvent.click(screen.getByLabelText('Show the base model’s answer beside each one'));
    await say('Hi');
    expect(await screen.findByText('Base says hi')).toBeInTheDocument();
    expect(await screen.findByText('Trained says hi')).toBeInTheDocument();
    await fireEvent.click(await screen.findByRole('button', { name: 'Good' }));
    const train = await screen.findByRole('button', { name: 'Train on feedback' });
    await screen.findByTestId('feedback-count');
    await fireEvent.click(train);
    await screen.findByRole('button', { name: 'Train on feedback' });
    expect(backend.callsOf('train_on_feedback')).toEqual([{ training_id: 't-1', queue: false }]);
    expect(window.location.hash).toBe('#/training/t-2');
  });

  it('talks with a profile\'s base without marks', async () => {
    const backend = streamingBackend(() => 'Hello there');
    render(ChatView, { id: 'profile:identity', call: backend.call });
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('Chat with the base of profile identity');
    await say('Hi');
    expect(await screen.findByText('Hello there')).toBeInTheDocument();
    expect(backend.callsOf('chat_send')[0]).toMatchObject({ profile_id: 'identity', prompt: 'Hi' });
    expect(screen.queryByRole('button', { name: 'Good' })).toBeNull();
    expect(screen.queryByText('Feedback on this run')).toBeNull();
    expect(chatModel('profile:a:b')).toEqual({ profile_id: 'a:b' });
  });
});
