//! The code written for a well-formed hook: a wrapper fn and one link-time entry.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemFn;

use crate::args::HookArgs;
use crate::phase::Phase;
use crate::signature::HookFnSig;

/// The user's fn unchanged, then, in an anonymous const, a wrapper with the uniform
/// signature the runtime calls and the entry registering it.
pub(crate) fn registration(
    phase: Phase,
    args: &HookArgs,
    item: &ItemFn,
    sig: &HookFnSig,
) -> TokenStream {
    let krate = match &args.krate {
        Some(path) => quote!(#path),
        None => quote!(::auth_hooks),
    };
    let ident = &sig.ident;
    let context_ty = &sig.context_ty;
    let wrapper = format_ident!("{}_auth_hook_{}", ident, phase.attr_name());

    let argument = quote_spanned! {context_ty.span()=>
        #krate::__private::context_as::<#context_ty>(ctx)
    };
    let call = if sig.is_async {
        quote!(#ident(#argument).await)
    } else {
        quote!(#ident(#argument))
    };
    let result = quote_spanned! {sig.return_span=>
        #krate::__private::into_hook_result(#call)
    };
    let (wrapper_fn, hook_fn) = if sig.is_async {
        (
            quote! {
                fn #wrapper<'ctx>(ctx: &'ctx #krate::AuthHookContext) -> #krate::HookFuture<'ctx> {
                    #krate::__private::Box::pin(async move { #result })
                }
            },
            quote!(#krate::HookFn::Async(#wrapper)),
        )
    } else {
        (
            quote! {
                fn #wrapper(ctx: &#krate::AuthHookContext) -> #krate::HookResult {
                    #result
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

    quote! {
        #item

        #[doc(hidden)]
        const _: () = {
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
                }
            }
        };
    }
}
