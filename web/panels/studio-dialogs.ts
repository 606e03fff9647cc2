/** The studio's confirmation before publishing: what the new boundaries disturb, said before they go live. */
import { append, h } from '../dom.ts'
import { num, t } from '../i18n.ts'
import type { PlanView } from '../plan-types.ts'
import { disruptionFacts } from './studio-tables.ts'

/** Resolves true when the planner confirms. */
export function confirmPublish(view: PlanView): Promise<boolean> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { className: 'key-dialog', id: 'studio-publish-dialog' })
    const done = (ok: boolean) => {
      dialog.close()
      dialog.remove()
      resolve(ok)
    }
    const d = view.disruption
    const table = disruptionFacts(d)
    table.id = 'studio-publish-disruption'
    append(dialog,
      h('h2', {}, t('studio.publishTitle', { name: view.plan.name })),
      h('p', {}, t('studio.publishHint')),
      table,
      d.changedGrids.length > 0 ? h('p', { className: 'muted changed-grids' }, d.changedGrids.join(' · ')) : null,
      d.cells === 0 ? h('p', { className: 'notice' }, t('studio.publishNothing')) : null,
      h('p', { className: 'muted' }, t('studio.publishGrids', { n: num(view.grids.filter((g) => !g.removed).length) })),
      h('div', { className: 'row buttons' },
        h('button', { type: 'button', id: 'studio-publish-confirm', onclick: () => done(true) }, t('studio.publishConfirm')),
        h('button', { type: 'button', id: 'studio-publish-cancel', onclick: () => done(false) }, t('key.cancel'))),
    )
    dialog.addEventListener('cancel', (e) => (e.preventDefault(), done(false)))
    document.body.append(dialog)
    dialog.showModal()
  })
}
