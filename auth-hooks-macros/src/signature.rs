//! Every check of the annotated fn: a misuse is an error on the offending token that says
//! what to write instead.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{FnArg, GenericParam, Ident, ItemFn, ReturnType, Type};

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
        errors.push(abi, "an auth hook cannot have a foreign ABI: remove the `extern` (hooks are called from Rust)");
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(
            variadic,
            format!("an auth hook cannot be variadic: write `{SIGNATURE}`"),
        );
    }
    for param in &sig.generics.params {
        match param {
            GenericParam::Lifetime(_) => {}
            GenericParam::Type(_) | GenericParam::Const(_) => errors.push(
                param,
                format!("an auth hook cannot be generic: it is registered as one concrete fn; remove `{}` and write `{SIGNATURE}`", param.to_token_stream()),
            ),
        }
    }
    if let Some(clause) = &sig.generics.where_clause {
        errors.push(
            clause,
            "an auth hook cannot have a `where` clause: remove it",
        );
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

    let mut context_ty = None;
    let mut inputs = sig.inputs.iter();
    match inputs.next() {
        None => errors.push_error(syn::Error::new(
            sig.paren_token.span.join(),
            format!("an auth hook takes one parameter, the context: write `{SIGNATURE}`"),
        )),
        Some(FnArg::Receiver(receiver)) => errors.push(
            receiver,
            format!("an auth hook cannot take `self`: write a free fn `{SIGNATURE}` outside any impl block"),
        ),
        Some(FnArg::Typed(typed)) => match &*typed.ty {
            Type::Reference(reference) if reference.mutability.is_some() => errors.push(
                reference.mutability,
                "an auth hook gets shared access to the context: write `&AuthHookContext` (every hook of a phase sees the same context)",
            ),
            Type::Reference(reference) => context_ty = Some((*reference.elem).clone()),
            by_value => errors.push(
                by_value,
                format!("an auth hook borrows the context: write `&{}`", by_value.to_token_stream()),
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
    if phase == Phase::OnLoginFailed {
        if let ReturnType::Type(_, ty) = &sig.output {
            if ty.to_token_stream().to_string().contains("AuthHookReject") {
                errors.push(ty, "an `on_login_failed` hook cannot reject: the login already failed; return `()` or `Result<(), E>` with an error type");
            }
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
    })
}
