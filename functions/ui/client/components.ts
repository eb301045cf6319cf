import { ApiError } from './api.js';
import { type Child, append, h, replace, uid } from './dom.js';

/** A readable sentence for any failure; missing endpoints read as a feature not there yet. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.notAvailable) return 'Not available on this registry yet.';
    if (error.status === 401) return `Sign in to see this (${error.message}).`;
    if (error.status === 403) return `You do not have permission for this (${error.message}).`;
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function errorBox(error: unknown): HTMLElement {
  const missing = error instanceof ApiError && error.notAvailable;
  return h('p', { class: missing ? 'notice' : 'error', role: missing ? 'status' : 'alert' }, messageOf(error));
}

export function emptyState(title: string, ...children: Child[]): HTMLElement {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), ...children);
}

export function spinner(label = 'Loading…'): HTMLElement {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spin', 'aria-hidden': 'true' }), label);
}

/** Fills `container` with what `load` builds, showing a spinner meanwhile and a readable error on failure. */
export async function loadInto(container: HTMLElement, load: () => Promise<Child>): Promise<void> {
  replace(container, spinner());
  try {
    replace(container, await load());
  } catch (error) {
    replace(container, errorBox(error));
  }
}

/** A button that copies `text` to the clipboard and says so. */
export function copyButton(text: string, label = 'Copy'): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'copy', 'aria-label': `${label}: ${text}`, title: text }, label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Press Ctrl+C';
      const range = document.createRange();
      const target = button.previousElementSibling ?? button;
      range.selectNodeContents(target);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
    }
    setTimeout(() => {
      button.textContent = label;
    }, 1500);
  });
  return button;
}

/** A command shown in monospace with its copy button. */
export function command(text: string): HTMLElement {
  return h('div', { class: 'command' }, h('code', null, text), copyButton(text));
}

export interface Column<T> {
  title: string;
  cell: (row: T) => Child;
  /** Makes the header a button that sorts by this key. */
  sort?: (a: T, b: T) => number;
  class?: string;
}

/** A table; sortable columns re-order it in place (aria-sort says how). */
export function table<T>(columns: Column<T>[], rows: T[], caption?: string): HTMLElement {
  const body = h('tbody');
  let sortedBy = -1;
  let ascending = true;
  const headers = columns.map((column, index) => {
    const th = h('th', { scope: 'col', class: column.class });
    if (column.sort) {
      const button = h('button', { type: 'button', class: 'sort' }, column.title);
      button.addEventListener('click', () => {
        ascending = sortedBy === index ? !ascending : true;
        sortedBy = index;
        for (const other of headers) other.removeAttribute('aria-sort');
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        draw([...rows].sort((a, b) => (ascending ? 1 : -1) * column.sort!(a, b)));
      });
      th.append(button);
    } else th.append(column.title);
    return th;
  });
  const draw = (ordered: T[]) => {
    replace(body, ordered.map((row) => h('tr', null, columns.map((column) => h('td', { class: column.class, 'data-label': column.title }, column.cell(row))))));
  };
  draw(rows);
  return h('div', { class: 'table-wrap' }, h('table', null, caption ? h('caption', { class: 'visually-hidden' }, caption) : null, h('thead', null, h('tr', null, headers)), body));
}

/** Previous/next paging for a Harbor list. */
export function pager(total: number, page: number, pageSize: number, go: (page: number) => void): HTMLElement {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'Pages' },
    h('span', null, `${first}–${last} of ${total}`),
    h('button', { type: 'button', disabled: page <= 1, onclick: () => go(page - 1) }, '‹ Previous'),
    h('span', null, `Page ${page} of ${pages}`),
    h('button', { type: 'button', disabled: page >= pages, onclick: () => go(page + 1) }, 'Next ›'),
  );
}

/** A labelled form field (every control gets a visible label tied by id). */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  const id = control.id || uid();
  control.id = id;
  const hintId = hint ? `${id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  if (control instanceof HTMLInputElement && control.type === 'checkbox') {
    return h('div', { class: 'field check' }, control, h('label', { for: id }, label), hint ? h('small', { id: hintId }, hint) : null);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hint ? h('small', { id: hintId }, hint) : null);
}

export function select(name: string, options: [string, string][], value?: string): HTMLSelectElement {
  return h('select', { name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

let toastRegion: HTMLElement | null = null;
/** A short message in a live region, so screen readers announce it too. */
export function toast(message: string, kind: 'ok' | 'error' = 'ok'): void {
  if (!toastRegion) {
    toastRegion = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastRegion);
  }
  const item = h('p', { class: `toast ${kind}` }, message);
  toastRegion.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/**
 * A modal form in a native <dialog> (focus trapped, Escape closes). `submit` runs on submit;
 * an error it throws is shown in the dialog and the dialog stays open.
 */
export function formDialog(title: string, fields: Child[], submitLabel: string, submit: (form: HTMLFormElement) => Promise<void>): HTMLDialogElement {
  const status = h('div', { class: 'dialog-status' });
  const submitButton = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const form = h('form', { method: 'dialog' }, h('h2', null, title), fields, status, h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'), submitButton));
  const dialog = h('dialog', { 'aria-label': title }, form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submitButton.disabled = true;
    replace(status);
    try {
      await submit(form);
      if (dialog.open) dialog.close();
    } catch (error) {
      replace(status, errorBox(error));
    } finally {
      submitButton.disabled = false;
    }
  });
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Asks before something irreversible; resolves true when confirmed. */
export function confirmDialog(message: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    let confirmed = false;
    const dialog = formDialog('Please confirm', [h('p', null, message)], confirmLabel, async () => {
      confirmed = true;
    });
    dialog.querySelector('button.primary')?.classList.add('danger');
    dialog.addEventListener('close', () => resolve(confirmed));
  });
}

/** An informational dialog with only a close button (the robot secret, shown once). */
export function infoDialog(title: string, ...content: Child[]): HTMLDialogElement {
  const dialog = h('dialog', { 'aria-label': title });
  const close = h('button', {
    type: 'button',
    class: 'primary',
    onclick: () => {
      dialog.close();
      dialog.remove();
    },
  }, 'Close');
  append(dialog, [h('h2', null, title), content, h('div', { class: 'actions' }, close)]);
  // Whatever it showed goes with it: nothing secret stays in the page once closed.
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Runs an action from a button: disables it meanwhile, reports failure as a toast. */
export async function act(button: HTMLButtonElement | null, action: () => Promise<void>, done?: string): Promise<void> {
  if (button) button.disabled = true;
  try {
    await action();
    if (done) toast(done);
  } catch (error) {
    toast(messageOf(error), 'error');
  } finally {
    if (button) button.disabled = false;
  }
}

/** The value of a named form control. */
export function valueOf(form: HTMLFormElement, name: string): string {
  const control = form.elements.namedItem(name);
  return control instanceof HTMLInputElement || control instanceof HTMLSelectElement || control instanceof HTMLTextAreaElement ? control.value.trim() : '';
}

export function checked(form: HTMLFormElement, name: string): boolean {
  const control = form.elements.namedItem(name);
  return control instanceof HTMLInputElement && control.checked;
}

/** A Delete button that asks first, then runs `remove` and reports. */
export function deleteButton(label: string, question: string, remove: () => Promise<void>, done: string): HTMLButtonElement {
  const button: HTMLButtonElement = h('button', {
    type: 'button',
    class: 'danger',
    'aria-label': label,
    onclick: async () => {
      if (!(await confirmDialog(question, 'Delete'))) return;
      await act(button, remove, done);
    },
  }, 'Delete');
  return button;
}

export function toolbar(...children: Child[]): HTMLElement {
  return h('div', { class: 'toolbar' }, children);
}
