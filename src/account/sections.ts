import { passkeysSection } from './passkeys-section.js';
import { passwordSection } from './password-section.js';
import type { AccountSection } from './section.js';
import { sessionsSection } from './sessions-section.js';
import { totpSection } from './totp-section.js';

/** The sections of /account, in page order. A new one (passkeys): its file and one line here. */
export const ACCOUNT_SECTIONS: readonly AccountSection[] = [passwordSection, totpSection, passkeysSection, sessionsSection];
