import { html } from '../../html.js';

const ROLES = ['system', 'user', 'assistant'];

/** An empty template of each kind. */
export const emptyChat = () => [{ role: 'system', content: '' }, { role: 'user', content: '' }];

/** The template to send: `{text}`, or a chat's `{messages}` (messages without content left out). */
export function templateOf({ kind, text, messages }) {
  return kind === 'chat'
    ? { messages: messages.filter((m) => m.content.trim()).map((m) => ({ role: m.role, content: m.content })) }
    : { text };
}

/** Whether there is anything to save. */
export const hasTemplate = (t) => (t.messages ? t.messages.length > 0 : Boolean(t.text?.trim()));

/**
 * A template written as a text or as a chat (MLflow's chat prompts: role and content messages, `{{variables}}` in
 * any content). `value` is {kind, text, messages}; `onChange` gets the next one.
 */
export function TemplateEditor({ value, onChange, idPrefix }) {
  const { kind, text, messages } = value;
  const set = (change) => onChange({ ...value, ...change });
  const setMessage = (i, change) => set({ messages: messages.map((m, j) => (j === i ? { ...m, ...change } : m)) });
  return html`
    <fieldset class="choices template-kind">
      <legend>Kind</legend>
      <label class="check"><input type="radio" name=${`${idPrefix}-kind`} checked=${kind === 'text'}
        onChange=${() => set({ kind: 'text' })} /> Text</label>
      <label class="check"><input type="radio" name=${`${idPrefix}-kind`} checked=${kind === 'chat'}
        onChange=${() => set({ kind: 'chat', messages: messages.length ? messages : emptyChat() })} /> Chat</label>
    </fieldset>
    ${kind === 'text' ? html`
      <label><span class="label">Template</span>
        <textarea rows="6" value=${text} onInput=${(e) => set({ text: e.currentTarget.value })}
          placeholder="Answer {{question}} in {{language}}."></textarea></label>` : html`
      <ol class="messages" aria-label="Messages">${messages.map((m, i) => html`
        <li key=${i} class="message">
          <label><span class="label">Role of message ${i + 1}</span>
            <select value=${m.role} onChange=${(e) => setMessage(i, { role: e.currentTarget.value })}>
              ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}
            </select></label>
          <label class="grow"><span class="label">Content of message ${i + 1}</span>
            <textarea rows="3" value=${m.content} onInput=${(e) => setMessage(i, { content: e.currentTarget.value })}></textarea></label>
          <button type="button" class="quiet small" aria-label=${`Remove message ${i + 1}`} disabled=${messages.length === 1}
            onClick=${() => set({ messages: messages.filter((_, j) => j !== i) })}>Remove</button>
        </li>`)}
      </ol>
      <p><button type="button" class="quiet" onClick=${() => set({ messages: [...messages, { role: 'user', content: '' }] })}>Add message</button></p>`}`;
}
