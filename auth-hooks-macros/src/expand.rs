//! The code written for a well-formed hook: a wrapper fn and one link-time entry.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemFn;

use crate::args::HookArgs;
use crate::phase::Phase;
use crate::signature::HookFnSig;

/// The user's fn unchanged, then, in a hidden const, a wrapper with the uniform
/// signature the runtime calls and the entry registering it.
pub(crate) fn registration(
    phase: Phase,
    args: &HookArgs,
    item: &ItemFn,
    sig: &HookFnSig,
) -> TokenStream {
    let krate = runtime_path(args, Span::call_site());
    let ident = &sig.ident;
    let context_ty = &sig.context_ty;
    let wrapper = format_ident!("{}_auth_hook_{}", ident, phase.attr_name());
    let registration = format_ident!("__{}_auth_hook_{}", ident, phase.attr_name());

    // The wrapper's own names, hygienic: a hook named `ctx` or `failed` is not shadowed.
    let ctx = Ident::new("ctx", Span::mixed_site());
    let failed = Ident::new("failed", Span::mixed_site());
    let argument = quote_spanned! {context_ty.span()=>
        #krate::__private::context_as::<#context_ty>(#ctx)
    };
    let call = if sig.is_async {
        quote!(#ident(#argument).await)
    } else {
        quote!(#ident(#argument))
    };
    // Bound first, then converted with the user's return type as span: an unsupported
    // return type is reported there, not on the attribute.
    let returned = quote_spanned!(sig.return_span=> returned);
    let krate_at_return = runtime_path(args, sig.return_span);
    let convert = quote_spanned! {sig.return_span=>
        #krate_at_return::__private::into_hook_result(#returned)
    };
    let result = quote! {{
        let #returned = #call;
        #convert
    }};
    let (wrapper_fn, hook_fn) = if sig.is_async {
        // Spanned on the user's `async`: a future that is not `Send` is reported there.
        let krate_at_async = runtime_path(args, sig.async_span);
        let future = quote_spanned! {sig.async_span=>
            #krate_at_async::__private::Box::pin(async move { #result })
        };
        (
            quote! {
                fn #wrapper<'ctx>(#ctx: &'ctx #krate::AuthHookContext) -> #krate::HookFuture<'ctx> {
                    #future
                }
            },
            quote!(#krate::HookFn::Async(#wrapper)),
        )
    } else {
        (
            quote! {
                fn #wrapper(
                    #ctx: &#krate::AuthHookContext,
                    #failed: &mut ::core::option::Option<#krate::HookError>,
                ) -> bool {
                    #krate::__private::report(#result, #failed)
                }
            },
            quote!(#krate::HookFn::Sync(#wrapper)),
        )
    };

    let variant = phase.variant();
    let name = match &args.name {
        Some(name) => quote!(#name),
        None => quote!(::core::concat!(
            ::core::module_path!(),
            "::",
            ::core::stringify!(#ident)
        )),
    };
    let priority = args.priority.unwrap_or(0);
    let backends = &args.backends;
    let timeout_ms = match &args.timeout_ms {
        Some((millis, _)) => quote!(::core::option::Option::Some(#millis)),
        None => quote!(::core::option::Option::None),
    };
    let on_error = match args.on_error.as_ref().map(|p| p.value()) {
        Some(p) if p == "log" => quote!(::core::option::Option::Some(#krate::ErrorPolicy::Log)),
        Some(_) => quote!(::core::option::Option::Some(#krate::ErrorPolicy::Raise)),
        None => quote!(::core::option::Option::None),
    };
    let mode = match args.mode.as_ref().map(|m| m.value()) {
        Some(m) if m == "shadow" => quote!(#krate::HookMode::Shadow),
        _ => quote!(#krate::HookMode::Enforce),
    };
    let breaker = match &args.breaker {
        Some(b) => {
            let (failures, open_ms) = (b.failures, b.open_ms);
            let allow = args.fallback.as_ref().is_some_and(|f| f.value() == "allow");
            quote!(::core::option::Option::Some(
                #krate::__private::breaker(#failures, #open_ms, #allow)
            ))
        }
        None => quote!(::core::option::Option::None),
    };

    quote! {
        #item

        // Named rather than `const _`: inside an `impl` block, where a hook cannot go,
        // the only error is then that the fn is not found (an unnamed const is a second).
        #[doc(hidden)]
        #[allow(dead_code, non_upper_case_globals)]
        const #registration: () = {
            #[allow(non_snake_case)]
            #wrapper_fn

            #krate::__auth_hooks_register! {
                #krate::__private::HookEntry {
                    phase: #krate::Phase::#variant,
                    name: #name,
                    call: #hook_fn,
                    module_path: ::core::module_path!(),
                    file: ::core::file!(),
                    line: ::core::line!(),
                    column: ::core::column!(),
                    priority: #priority,
                    backends: &[#(#backends),*],
                    timeout_ms: #timeout_ms,
                    on_error: #on_error,
                    mode: #mode,
                    breaker: #breaker,
                }
            }
        };
    }
}

/// The path to the runtime crate: the `crate = …` override, or `::auth_hooks` with `span`
/// (so that a whole generated call carries one span and errors on it point there).
fn runtime_path(args: &HookArgs, span: Span) -> TokenStream {
    match &args.krate {
        Some(path) => quote!(#path),
        None => quote_spanned!(span=> ::auth_hooks),
    }
}
