/** Entry of the IIFE bundle (`window.Swarmcast`): the ESM API, plus the custom element defined on load. */
import { defineSwarmcastElement } from './element.ts';

export * from './index.ts';

if (typeof customElements !== 'undefined') defineSwarmcastElement();
