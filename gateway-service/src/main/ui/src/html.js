// JSX-free markup: htm's tagged templates bound to Preact, so the build needs no JSX transform.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
