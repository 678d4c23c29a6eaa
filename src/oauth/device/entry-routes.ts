import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { nowDate } from '../../clock.js';
import { perMinuteLimiter } from '../../http/rate-limits.js';
import { readParams, type Params } from '../../http/params.js';
import { sendErrorPage } from '../../pages/error-page.js';
import { sendHtml } from '../../pages/send-html.js';
import { pageUi } from '../../pages/ui.js';
import { tooManyRequestsPage } from '../../pages/too-many-requests.js';
import { savePendingRequest } from '../authorize/request-store.js';
import type { SignInContext } from '../authorize/route.js';
import type { DeviceSignInRequest } from './approval.js';
import { DEVICE_CODE_GRANT_TYPE } from './grant-type.js';
import { DEVICE_PATH, userCodePage, type UserCodeError } from './pages.js';
import type { DeviceSettings } from './settings.js';
import { findPendingByUserCode } from './store.js';
import { formatUserCode, normaliseUserCode } from './user-code.js';

type Limiter = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** The user_code query parameter of verification_uri_complete, if it is one string. */
function queriedUserCode(request: FastifyRequest): string | undefined {
  const value = (request.query as Record<string, unknown> | undefined)?.user_code;
  return typeof value === 'string' ? value : undefined;
}

/** GET /device counts against the limit only when it carries a code (RFC 8628 5.1: codes are what gets guessed). */
function whenCodeQueried(limiters: preHandlerHookHandler[]): preHandlerHookHandler[] {
  return limiters.map((limiter) => {
    const limited = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!Object.hasOwn((request.query as object | undefined) ?? {}, 'user_code')) return undefined;
      return (limiter as unknown as Limiter)(request, reply);
    };
    return limited as unknown as preHandlerHookHandler;
  });
}

function formOf(request: FastifyRequest): Params {
  try {
    return readParams(request.body);
  } catch {
    return {};
  }
}

/** What goes back into the field: the code as the device shows it when it is one, else what was typed. */
function shownCode(typed: string | undefined): string | undefined {
  const canonical = normaliseUserCode(typed);
  return canonical === undefined ? typed : formatUserCode(canonical);
}

/**
 * GET /device (RFC 8628 3.3): the code form; with ?user_code= (verification_uri_complete, 3.3.1)
 * the same form filled in. It never submits itself: the user confirms the code (5.4).
 */
function showEntry(context: SignInContext, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const csrfToken = context.cookies.csrfToken(request, reply);
  return sendHtml(reply, 200, userCodePage(pageUi(request), { csrfToken, userCode: shownCode(queriedUserCode(request)) }));
}

/**
 * POST /device: a code that cannot be one gets a format hint; one that is unknown, expired, used
 * or already answered gets one and the same sentence. A pending one is parked as a sign-in of the
 * device kind, and the sign-in loop takes over (login, consent, then always the approval page).
 */
async function submitEntry(context: SignInContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { deps, cookies } = context;
  const form = formOf(request);
  if (!cookies.csrfValid(request, form.csrf_token)) {
    return sendErrorPage(reply, 403, 'formExpired', { detail: 'CSRF token missing or not matching' });
  }
  const again = (error: UserCodeError, userCode: string | undefined) =>
    sendHtml(reply, 400, userCodePage(pageUi(request), { csrfToken: cookies.csrfToken(request, reply), userCode, error }));
  const typed = form.user_code;
  const canonical = normaliseUserCode(typed);
  if (canonical === undefined) return again('malformed', typed);
  const now = nowDate(deps);
  const found = await findPendingByUserCode(deps.db, canonical, now);
  if (!found) return again('unusable', formatUserCode(canonical));
  const parked: DeviceSignInRequest = { clientId: found.clientId, scope: found.scope, deviceAuthorizationId: found.id, userCode: found.userCode };
  const requestId = await savePendingRequest(deps.db, DEVICE_CODE_GRANT_TYPE, parked, now);
  return reply.redirect(`/authorize/resume?request_id=${requestId}`, 303);
}

/**
 * The verification URI (RFC 8628 3.3): GET/POST /device, beside the sign-in pages, rate-limited
 * per IP (5.1) with an HTML 429 like /authorize's.
 */
export function registerDeviceEntryRoutes(app: FastifyInstance, context: SignInContext, settings: DeviceSettings): void {
  const limiters = perMinuteLimiter(app, 'device-ip', settings.entryPerMinute, (request) => request.ip, tooManyRequestsPage);
  app.get(DEVICE_PATH, { preHandler: whenCodeQueried(limiters) }, (request, reply) => showEntry(context, request, reply));
  app.post(DEVICE_PATH, { preHandler: limiters }, (request, reply) => submitEntry(context, request, reply));
}
