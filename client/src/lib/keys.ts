// A message box's keys: Enter sends, Shift+Enter starts a new line, and Enter while composing
// an IME word does not send. `onkeydown={enterSends(send)}` and `onsubmit={submitSends(send)}`.

export function enterSends(send: () => void): (event: KeyboardEvent) => void {
  return (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  };
}

export function submitSends(send: () => void): (event: SubmitEvent) => void {
  return (event) => {
    event.preventDefault();
    send();
  };
}
