// React for the page shell: window.React and window.ReactDOM, as Mattermost's webapp gives them to
// its plugins (the plugin's bundle has no React of its own). React 19 ships no browser build, so
// build.mjs bundles this from the pinned react and react-dom packages. ReactDOM carries
// react-dom/client's createRoot too, which the shell renders with.
import React from 'react';
import ReactDOM from 'react-dom';
import { createRoot } from 'react-dom/client';

window.React = React;
window.ReactDOM = { ...ReactDOM, createRoot };
