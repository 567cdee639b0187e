// The frame every page shares: a title, a toolbar for filters (built once, so typing in a
// filter is not interrupted by refreshes), an error line, and a body replaced on refresh.
import {h, replace} from '../dom.js';

export function frame(root, title, ...toolbar) {
  const heading = h('h1', {}, title);
  const error = h('div', {class: 'error', hidden: true});
  const body = h('div', {class: 'body'});
  root.append(heading, toolbar.length ? h('div', {class: 'toolbar'}, toolbar) : '', error, body);
  return {
    heading,
    body,
    show(...children) {
      error.hidden = true;
      replace(body, ...children);
    },
    showError(e) {
      error.hidden = false;
      error.textContent = e.message;
    },
  };
}

// A text input that calls `onChange(value)` after the operator pauses typing.
export function filterInput(name, value, placeholder, onChange) {
  let timer = null;
  return h('label', {}, name, h('input', {
    type: 'search', name, value: value || '', placeholder,
    oninput: (event) => {
      clearTimeout(timer);
      timer = setTimeout(() => onChange(event.target.value.trim()), 250);
    },
  }));
}

// A <select> of [value, label] options.
export function filterSelect(name, value, options, onChange) {
  return h('label', {}, name, h('select', {name, onchange: (event) => onChange(event.target.value)},
    options.map(([v, label]) => h('option', {value: v, selected: v === value}, label))));
}
