import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { businessScopesIn } from '../shared/scopes.ts';

const { Prompt, Check, base } = interactionPolicy;

/** What the interaction steps report back through `interactionResult` (never secrets). */
export interface JourneyResult {
  select_business?: { scopes: string[] };
  register_pin?: { confirmed: true };
  consent?: { grantId: string };
}

export interface PolicyHooks {
  /** Whether the client's business selection screen is skipped (bank-controlled client setting). */
  skipsBusinessSelection(clientId: string): Promise<boolean>;
  /** Whether the user still has a visible account whose PIN can be registered (unregistered, not locked). */
  needsPinRegistration(userId: string): Promise<boolean>;
}

/**
 * The five steps of seed 000 as prompts (DESIGN §6): login (1-1/1-2), select_business (2),
 * register_pin (3–4), consent (5). Each journey starts with a login, whatever session exists, and
 * always ends on the bank's permission screen.
 * @see https://github.com/panva/node-oidc-provider/blob/main/docs/README.md#interactionspolicy
 */
export function journeyPolicy(hooks: PolicyHooks) {
  const policy = base();
  const result = (ctx: KoaContextWithOIDC) => (ctx.oidc.result ?? {}) as JourneyResult & { login?: unknown };

  // A bank asks for the password on every new authorization: an earlier session does not count.
  policy.get('login')!.checks.add(new Check('login_every_time', 'each authorization starts with a login',
    (ctx) => (result(ctx).login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT)));

  const selectBusiness = new Prompt(
    { name: 'select_business', requestable: false },
    new Check('business_not_selected', '利用業務 must be chosen', async (ctx) => {
      if (result(ctx).select_business) return Check.NO_NEED_TO_PROMPT;
      const requested = businessScopesIn(ctx.oidc.params?.scope);
      if (requested.length <= 1) return Check.NO_NEED_TO_PROMPT;
      return (await hooks.skipsBusinessSelection(ctx.oidc.client!.clientId)) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
    }),
  );

  const registerPin = new Prompt(
    { name: 'register_pin', requestable: false },
    new Check('pin_missing', '照会用暗証番号 registration', async (ctx) => {
      // Confirmed in step 4, or passed over on the way to a 許可 already given (step 5 showed each account's PIN state).
      if (result(ctx).register_pin || result(ctx).consent) return Check.NO_NEED_TO_PROMPT;
      const userId = ctx.oidc.session?.accountId;
      if (!userId) return Check.REQUEST_PROMPT;
      return (await hooks.needsPinRegistration(userId)) ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT;
    }),
  );

  const consentAt = policy.findIndex((p) => p.name === 'consent');
  policy.add(selectBusiness, consentAt);
  policy.add(registerPin, consentAt + 1);
  // Step 5 is shown on every journey, even when an earlier grant covers the request.
  policy.get('consent')!.checks.add(new Check('bank_permission', '情報アクセス許可 is always asked',
    (ctx) => (result(ctx).consent ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT)));
  return policy;
}
