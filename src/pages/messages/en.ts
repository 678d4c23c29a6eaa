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

  // Your account (/account)
  accountTitle: 'Your account',
  accountSignedInAs: (username: Html) => html`Signed in as ${username}`,
  notices: {
    password_changed: 'Your password was changed. Every other browser and app signed in as you has been signed out.',
    totp_enabled: 'Your authenticator app is now on.',
    totp_removed: 'Your authenticator app was removed, with its recovery codes.',
    session_ended: 'The session was ended.',
  },
  passwordHeading: 'Password',
  currentPassword: 'Current password',
  newPassword: 'New password',
  newPasswordAgain: 'New password again',
  passwordChangeHint: 'Changing it signs you out everywhere else, apps included.',
  changePasswordButton: 'Change password',
  newPasswordUnusable: 'The new password is not usable: it must not be empty, only white space, or longer than 1024 characters.',
  newPasswordMismatch: 'The new password and its confirmation differ.',
  currentPasswordWrong: 'The current password is not correct.',
  sessionsHeading: 'Where you are signed in',
  browsersHeading: 'Browsers',
  browserColumn: 'Browser',
  signedInColumn: 'Signed in',
  lastUsedColumn: 'Last used',
  actionColumn: 'Action',
  unknownBrowser: 'unknown browser',
  thisBrowser: '(this browser)',
  endButton: 'End',
  endBrowserSession: 'End this browser session',
  appsHeading: 'Apps that stay signed in',
  noApps: 'No app holds a refresh token for you.',
  appColumn: 'App',
  sinceColumn: 'Since',
  signAppOut: (app: string) => `Sign ${app} out`,

  // Two-step verification (TOTP and recovery codes)
  twoStepTitle: 'Two-step verification',
  twoStepOff: 'Off. With an authenticator app, signing in also asks for a 6-digit code from your phone.',
  setUpAuthenticator: 'Set up an authenticator app',
  authenticatorOnSince: (since: string, lastUsed: string) => html`<strong>Authenticator app: on</strong> since ${since}; last used ${lastUsed}.`,
  never: 'never',
  recoveryCodesLeft: (remaining: number, total: number) => html`Recovery codes: <strong>${String(remaining)}</strong> of ${String(total)} left.`,
  makeNewRecoveryCodes: 'Make new recovery codes',
  removeAuthenticator: 'Remove the authenticator app',
  totpSetupIntro: 'Scan this QR code with your authenticator app, or type the key into it by hand. Then enter the 6-digit code it shows.',
  totpQrLabel: 'QR code of the setup key',
  totpKeyIfNoScan: html`<strong>Key</strong> (if you cannot scan):`,
  totpSetupLink: 'Setup link',
  totpCodeLabel: 'Code from the app',
  turnOn: 'Turn on',
  totpWrongCode: 'That code did not match. Check the time on your device and enter the code the app shows now.',
  recoveryCodesIntro: html`Save these recovery codes somewhere safe (a password manager, or printed). Each signs you in once if you lose your authenticator app. <strong>They are shown only now.</strong>`,
  authenticatorOnTitle: 'Authenticator app on',
  newRecoveryCodesTitle: 'New recovery codes',
  continueSigningIn: 'Continue signing in',
  done: 'Done',
  removeAuthenticatorTitle: 'Remove authenticator app?',
  removeAuthenticatorText: 'Signing in will ask only for your password, and your recovery codes stop working.',
  removeButton: 'Remove',
  newCodesTitle: 'New recovery codes?',
  newCodesText: 'New codes replace all your current ones: the old ones stop working at once.',
  newCodesButton: 'Make new codes',

  // The second factor at sign-in
  secondFactorSigningInAs: (username: Html, client: Html) => html`Signing in as ${username} to continue to ${client}`,
  otpLabel: 'Code from your authenticator app',
  otpRecoveryHint: 'Lost your device? Enter one of your recovery codes instead.',
  verify: 'Verify',
  secondFactorFailed: 'That code did not work. Check it and try again, or use a recovery code.',
  enrolTitle: 'Set up two-step verification',
  enrolIntro: (client: Html) => html`${client} asks for a second factor on top of your password. You have none yet: set one up, then sign-in continues.`,
  enrolTotpDescription: 'Scan a QR code with an app such as Aegis, Google Authenticator or 1Password; it then shows a new 6-digit code every 30 seconds.',
};

/** The shape every language's catalogue has: English's, with its values widened to string and functions. */
export type Messages = typeof en;
