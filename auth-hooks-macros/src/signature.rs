//! Every check of the annotated fn: a misuse is an error on the offending token that says
//! what to write instead.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, GenericParam, Ident, ItemFn, ReturnType, Type, WherePredicate};

use crate::args::HookArgs;
use crate::phase::Phase;

/// What expansion needs from a fn that passed every check.
pub(crate) struct HookFnSig {
    pub(crate) ident: Ident,
    /// The type behind the parameter's `&`.
    pub(crate) context_ty: Type,
    /// Where the return type is written (the fn name when it returns `()`).
    pub(crate) return_span: Span,
    pub(crate) is_async: bool,
    /// Where `async` is written (the fn name for a sync fn).
    pub(crate) async_span: Span,
}

/// Collects errors so the user sees every misuse of one fn at once.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, tokens: impl ToTokens, message: impl std::fmt::Display) {
        self.push_error(syn::Error::new_spanned(tokens, message));
    }

    fn push_error(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }
}

const SIGNATURE: &str = "fn name(ctx: &AuthHookContext)";

pub(crate) fn check(phase: Phase, args: &HookArgs, item: &ItemFn) -> syn::Result<HookFnSig> {
    let attr = phase.attr_name();
    let sig = &item.sig;
    let mut errors = Errors::default();

    if let Some(token) = &sig.constness {
        errors.push(token, format!("an auth hook cannot be a `const fn`: remove `const` (#[{attr}] calls the fn at run time)"));
    }
    if let Some(token) = &sig.unsafety {
        errors.push(token, "an auth hook cannot be an `unsafe fn`: remove `unsafe` and keep unsafe blocks inside the body");
    }
    if let Some(abi) = &sig.abi {
        errors.push(
            abi,
            format!(
                "an auth hook cannot have a foreign ABI: remove `{}` (hooks are called from Rust)",
                abi.to_token_stream()
            ),
        );
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(
            variadic,
            format!("an auth hook cannot be variadic: write `{SIGNATURE}`"),
        );
    }
    let mut generic = false;
    for param in &sig.generics.params {
        let (kind, ident) = match param {
            GenericParam::Lifetime(_) => continue,
            GenericParam::Type(param) => ("type", &param.ident),
            GenericParam::Const(param) => ("const", &param.ident),
        };
        generic = true;
        errors.push(
            param,
            format!("an auth hook cannot be generic: it is registered as one concrete fn; remove the {kind} parameter `{ident}`"),
        );
    }
    // Bounds on lifetimes are harmless; bounds on a type parameter are part of the one
    // mistake already reported on the parameter.
    if let (Some(clause), false) = (&sig.generics.where_clause, generic) {
        for predicate in &clause.predicates {
            if !matches!(predicate, WherePredicate::Lifetime(_)) {
                errors.push(
                    predicate,
                    "an auth hook cannot have `where` bounds on types: remove this bound",
                );
            }
        }
    }
    for attribute in &item.attrs {
        if attribute
            .path()
            .segments
            .last()
            .is_some_and(|s| s.ident == attr)
        {
            errors.push(
                attribute,
                format!(
                    "#[{attr}] is given twice on this fn: a hook runs once per phase; remove one"
                ),
            );
        }
    }

    // A receiver is one mistake with one error; the parameters after it are checked as if
    // it were not there, so `fn f(&self, ctx: &AuthHookContext)` gets no second error.
    let mut receiver = None;
    for input in &sig.inputs {
        if let FnArg::Receiver(token) = input {
            errors.push(
                token,
                format!("an auth hook cannot take `self`: write a free fn `{SIGNATURE}` outside any impl block"),
            );
            receiver = Some(token);
        }
    }
    let mut context_ty = None;
    let mut inputs = sig.inputs.iter().filter_map(|input| match input {
        FnArg::Typed(typed) => Some(typed),
        FnArg::Receiver(_) => None,
    });
    match inputs.next() {
        None if receiver.is_some() => {}
        None => errors.push_error(syn::Error::new(
            sig.paren_token.span.join(),
            format!("an auth hook takes one parameter, the context: write `{SIGNATURE}`"),
        )),
        Some(typed) => match &*typed.ty {
            Type::Reference(reference) if reference.mutability.is_some() => errors.push(
                reference.mutability,
                "an auth hook gets shared access to the context: write `&AuthHookContext` (every hook of a phase sees the same context)",
            ),
            Type::Reference(reference) => {
                let mut ok = true;
                if let Some(lifetime) = reference.lifetime.as_ref().filter(|l| l.ident == "static") {
                    errors.push(
                        lifetime,
                        "the context is borrowed only for the hook's call: remove `'static` and write `&AuthHookContext`",
                    );
                    ok = false;
                }
                if let Type::ImplTrait(generic) = &*reference.elem {
                    errors.push(
                        generic,
                        "an auth hook cannot be generic: it is registered as one concrete fn; write `&AuthHookContext`",
                    );
                    ok = false;
                }
                if ok {
                    context_ty = Some((*reference.elem).clone());
                }
            }
            by_value => errors.push(
                by_value,
                "an auth hook borrows the context: write `&AuthHookContext`",
            ),
        },
    }
    for extra in inputs {
        errors.push(
            extra,
            format!("an auth hook takes only the context; remove this parameter and read what you need from `ctx` (`{SIGNATURE}`)"),
        );
    }

    if let (Some((_, key_span)), None) = (&args.timeout_ms, &sig.asyncness) {
        errors.push_error(syn::Error::new(
            *key_span,
            "`timeout_ms` needs an `async fn`: a sync hook cannot be interrupted; make the hook async or remove `timeout_ms`",
        ));
    }
    if let (Some(mode), Some((decided, _))) = (&args.mode, phase.already_decided()) {
        if mode.value() == "shadow" {
            errors.push_error(syn::Error::new(
                mode.span(),
                format!(
                    "`mode = \"shadow\"` only changes what a refusal or failure does, and an `{}` hook cannot refuse: {decided}; use shadow mode on `before_authenticate`, `before_login`, `on_refresh` or `before_register` hooks, or remove it",
                    phase.attr_name()
                ),
            ));
        }
    }
    if let (Some((decided, instead)), ReturnType::Type(_, ty)) =
        (phase.already_decided(), &sig.output)
    {
        if let Some(reject) = find_ident(ty.to_token_stream(), "AuthHookReject") {
            let message = format!(
                "an `{}` hook cannot reject: {decided}; {instead}, or return `()` or `Result<(), E>` with an error type to report a failure",
                phase.attr_name()
            );
            errors.push_error(syn::Error::new(reject.span(), message));
        }
    }

    if let (false, ReturnType::Type(_, ty)) = (phase == Phase::BeforeLogin, &sig.output) {
        if let Some(challenge) = find_ident(ty.to_token_stream(), "AuthHookChallenge") {
            let message = format!(
                "an `{}` hook cannot require a second factor: only `#[before_login]` may return `AuthHookChallenge` (the login then waits for the factor before the session is created); return {}",
                phase.attr_name(),
                match phase.already_decided() {
                    Some(_) => "`()` or `Result<(), E>` here",
                    None => "`()`, `Result<(), AuthHookReject>` or `Result<(), E>` here",
                }
            );
            errors.push_error(syn::Error::new(challenge.span(), message));
        }
    }

    if let Some(error) = errors.0 {
        return Err(error);
    }
    let return_span = match &sig.output {
        ReturnType::Default => sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    Ok(HookFnSig {
        ident: sig.ident.clone(),
        context_ty: context_ty.expect("checked above"),
        return_span,
        is_async: sig.asyncness.is_some(),
        async_span: sig.asyncness.map_or(sig.ident.span(), |token| token.span),
    })
}

/// The first identifier `name` in `tokens`, looking inside groups (`Result<(), X>`).
fn find_ident(tokens: TokenStream, name: &str) -> Option<Ident> {
    tokens.into_iter().find_map(|token| match token {
        TokenTree::Ident(ident) if ident == name => Some(ident),
        TokenTree::Group(group) => find_ident(group.stream(), name),
        _ => None,
    })
}
