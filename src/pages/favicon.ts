/** Latchkey's own icon: a key on a rounded square in the default accent. Served at FAVICON_PATH. */
export const FAVICON_PATH = '/assets/favicon.svg';

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="7" fill="#2457d6"/>
<circle cx="12" cy="16" r="5.5" fill="none" stroke="#fff" stroke-width="3"/>
<path d="M17 16h10M23 16v4M26.5 16v3" stroke="#fff" stroke-width="3" stroke-linecap="round"/>
</svg>
`;
