/**
 * The API key the console sends, kept in localStorage. A key the server
 * handed out as the demo key is marked as such: when the server has rotated
 * it (each start does), the console quietly takes the new one; a key the user
 * typed is never replaced behind their back.
 */
const STORAGE = 'zhiwang.apiKey'

export interface StoredKey {
  secret: string
  source: 'demo' | 'user'
}

let current: StoredKey | null = read()

function read(): StoredKey | null {
  try {
    const v = JSON.parse(localStorage.getItem(STORAGE) ?? 'null') as StoredKey | null
    return v && typeof v.secret === 'string' && (v.source === 'demo' || v.source === 'user') ? v : null
  } catch {
    return null
  }
}

export function storedKey(): StoredKey | null {
  return current
}

export function currentSecret(): string | null {
  return current?.secret ?? null
}

export function setKey(key: StoredKey | null): void {
  current = key
  if (key) localStorage.setItem(STORAGE, JSON.stringify(key))
  else localStorage.removeItem(STORAGE)
}
