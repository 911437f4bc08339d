/**
 * The page's one way of making DOM: `h(tag, props, ...children)`. Text goes in as text nodes (never parsed as
 * HTML: there is no innerHTML anywhere in the page), attributes through setAttribute, listeners through
 * addEventListener. No inline `style` attribute (the CSP forbids it): classes, or `setStyle` (CSSOM, allowed).
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[]

type Listener = (event: Event) => void
export type Props = Record<string, string | number | boolean | undefined | null | Listener>

/** An element with attributes (`class`, `href`, `data-*`, `aria-*`…), `on<event>` listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  if (props) {
    for (const [name, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) continue
      if (typeof value === 'function') {
        element.addEventListener(name.slice(2).toLowerCase(), value)
      } else {
        element.setAttribute(name, value === true ? '' : String(value))
      }
    }
  }
  append(element, children)
  return element
}

/** Appends children (strings as text nodes, arrays flattened, empty values skipped). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    if (Array.isArray(child)) append(parent, child)
    else if (typeof child === 'string' || typeof child === 'number') {
      parent.appendChild(document.createTextNode(String(child)))
    } else parent.appendChild(child as Node)
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

/** Sets an element's text (textContent: never HTML). */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text
}

/** A CSS property through the CSSOM (allowed under the CSP, unlike a `style` attribute). */
export function setStyle(element: HTMLElement, property: string, value: string): void {
  element.style.setProperty(property, value)
}

/** A function that runs `fn` once `wait` ms after the last call, and at least every `maxWait` ms while called. */
export function debounce(fn: () => void, wait: number, maxWait = wait * 4): () => void {
  let timer: number | undefined
  let first: number | undefined
  return () => {
    const now = Date.now()
    first ??= now
    if (timer !== undefined) clearTimeout(timer)
    const delay = Math.max(0, Math.min(wait, first + maxWait - now))
    timer = setTimeout(() => {
      timer = undefined
      first = undefined
      fn()
    }, delay)
  }
}
