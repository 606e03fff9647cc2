/** Asks for an API key, checks it with the server, and keeps it in this browser. */
import { me } from '../api.ts'
import { h } from '../dom.ts'
import { t } from '../i18n.ts'
import { clearKey, setKey, storedKey } from '../key-store.ts'

export function openKeyDialog(demoKey: string | null, onChange: () => void): void {
  const input = h('input', { type: 'password', id: 'key-input', autocomplete: 'off', size: 40, placeholder: 'zw_…', 'aria-label': t('key.title') })
  const message = h('div', { className: 'muted' }, storedKey() ? `${storedKey()!.source === 'demo' ? t('key.demo') : t('key.title')}: ${storedKey()!.secret.slice(0, 8)}…` : t('key.none'))
  const dialog = h('dialog', { className: 'key-dialog' })
  const close = () => (dialog.open && dialog.close(), dialog.remove())
  // Escape closes a modal dialog by itself: it leaves the page as well.
  dialog.addEventListener('close', () => dialog.remove())
  const done = () => (close(), onChange())
  const form = h('form', { method: 'dialog' },
    h('h2', {}, t('key.title')), h('p', { className: 'muted' }, t('key.hint')), input, message,
    h('div', { className: 'row buttons' },
      h('button', { type: 'submit', id: 'key-save' }, t('key.save')),
      demoKey ? h('button', { type: 'button', onclick: () => (setKey({ secret: demoKey, source: 'demo' }), done()) }, t('key.demo')) : null,
      h('button', { type: 'button', id: 'key-clear', onclick: () => (clearKey(), done()) }, t('key.clear')),
      h('button', { type: 'button', onclick: close }, t('key.cancel'))))
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const secret = input.value.trim()
    if (!secret) return
    try {
      const who = await me(secret)
      setKey({ secret, source: 'user' })
      message.textContent = t('key.as', { name: who.name, role: who.role })
      done()
    } catch (err) {
      message.textContent = t('key.invalid', { detail: (err as Error).message })
      message.className = 'error'
    }
  })
  dialog.append(form)
  document.body.append(dialog)
  dialog.showModal()
  input.focus()
}
