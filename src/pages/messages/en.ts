import { html, type Html } from '../html.js';

/**
 * Every sentence a person reads on Latchkey's pages, in English. The other languages are typed as
 * `Messages` (index.ts), so a key missing or misspelt in one of them does not compile. Values are
 * plain text (pages escape them); functions take what the sentence names, and those that put a
 * name in bold take it as Html (the html tag escapes everything else).
 */
export const en = {
  languageName: 'English',

  // The frame of every page
  pageTitle: (title: string, product: string) => `${title} · ${product}`,
  logoAlt: (product: string) => `${product} logo`,
  getHelp: 'Need help? Contact support',

  // Sign in
  signInTitle: 'Sign in',
  signInTo: (client: Html) => html`to continue to ${client}`,
  username: 'Username',
  password: 'Password',
  signInButton: 'Sign in',
  loginFailed: 'Incorrect username or password.',

  // Consent
  consentTitle: 'Allow access?',
  consentAsks: (client: Html, user: Html) => html`${client} asks to access your account ${user}:`,
  consentReturnsTo: (host: Html) => html`After your answer you return to ${host}.`,
  allow: 'Allow',
  deny: 'Deny',
  notYou: (username: string) => `Not ${username}?`,
  switchAccount: 'Sign in as someone else',
  manageAccount: 'Manage your account',
  scopeDescriptions: {
    openid: 'confirm who you are',
    profile: 'your name and username',
    email: 'your email address',
    offline_access: 'stay signed in and act for you while you are away',
    admin: 'administer this server',
  } as Record<string, string>,
  scopeOther: 'access defined by the application',

  // Sign out
  signOutTitle: 'Sign out?',
  signOutAskedBy: (client: Html, product: string) => html`${client} asks to sign you out of ${product}.`,
  signOutOf: (product: string) => `Sign out of ${product}.`,
  signedInAs: 'Signed in as',
  signOutButton: 'Sign out',
  cancel: 'Cancel',
  signedOutTitle: 'Signed out',
  signedOutText: (product: string) => `You have been signed out of ${product}.`,
  stillSignedInTitle: 'Still signed in',
  stillSignedInText: (product: string) => `You are still signed in to ${product}. You can close this page.`,

  // Device sign-in (RFC 8628)
  deviceTitle: 'Connect a device',
  deviceIntro: 'Enter the code shown on your TV, console or other device.',
  deviceCodeLabel: 'Code',
  deviceCodeHint: (length: number) => `${length} letters, shown as XXXX-XXXX. Capitals, spaces and the dash do not matter.`,
  deviceCodeMalformed: (length: number) => `Enter the ${length} letters your device shows, like BCDF-GHJK.`,
  deviceCodeUnusable: 'That code is not valid, or it has expired or already been used. Check the code on your device; if it still fails, start again on the device.',
  continue: 'Continue',
  deviceApprovalTitle: 'Allow access on your device?',
  deviceApprovalHeading: (client: Html) => html`Allow ${client} on your device?`,
  deviceCheckCode: 'Check that your device shows this code:',
  deviceWillBeAbleTo: (client: Html) => html`${client} will be able to:`,
  deviceWarning: 'Allow only if you started this on a device in front of you and it shows the same code. If someone sent you this code or link, deny.',
  deviceConnectedTitle: 'Device connected',
  deviceConnectedText: (client: Html) => html`${client} is now connected to your account.`,
  deviceConnectedNext: 'You can return to your device: it finishes signing in by itself within a few seconds. You can close this page.',
  deviceDeniedTitle: 'Request denied',
  deviceDeniedText: (client: Html) => html`Nothing was shared with ${client}.`,
  deviceDeniedNext: 'The device will show that the request was denied. You can close this page.',
  deviceUnusableTitle: 'Code not valid or expired',
  deviceEnterCode: 'Enter a code',
  theApplication: 'the application',

  // Error pages: what went wrong, in words a person can act on (the detail goes to the log)
  errorReference: 'Reference',
  errorReferenceHint: 'If you contact support, quote this reference.',
  backToApp: 'Go back to the application and try again.',
  errors: {
    badRequest: { title: 'This link does not work', message: 'The application sent you here with a link that is incomplete or not valid.' },
    unknownApplication: { title: 'Application not recognised', message: 'The application that sent you here is not registered with this sign-in service.' },
    untrustedReturn: { title: 'This link does not work', message: 'The application asked to send you back to an address it has not registered, so you were stopped here for your safety.' },
    expired: { title: 'Sign-in expired', message: 'This sign-in took too long or was already finished. Start again from the application.' },
    formExpired: { title: 'Page expired', message: 'The form could not be verified, perhaps because it was open too long. Reload the page and try again.' },
    signOutFailed: { title: 'Sign-out did not work', message: 'The application asked to sign you out with a request that is not valid. Nothing was changed.' },
    deviceRefused: { title: 'Request denied', message: 'The device was not connected.' },
    tooManyRequests: { title: 'Too many attempts', message: 'There were too many attempts from your network in a short time.' },
    sessionNotFound: { title: 'Not found', message: 'There is no such session of yours, or it has already ended.' },
    busy: { title: 'Busy right now', message: 'The server is busy checking other passwords right now.' },
  },
  retryIn: (seconds: number) => (seconds <= 60 ? `You can try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.` : `You can try again in ${Math.ceil(seconds / 60)} minutes.`),
};

/** The shape every language's catalogue has: English's, with its values widened to string and functions. */
export type Messages = typeof en;
