//! The one entry point all four phase macros share: parse, check, expand.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::ItemFn;

use crate::args::HookArgs;
use crate::phase::Phase;
use crate::{expand, signature};

/// Expands `#[phase(args)] item`. On any error the item is emitted unchanged next to
/// the error, so the rest of the crate still type-checks and IDEs keep working.
pub(crate) fn expand(phase: Phase, args: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(phase, args, item.clone()) {
        Ok(expanded) => expanded,
        Err(error) => {
            let mut output = item;
            output.extend(error.to_compile_error());
            output
        }
    }
}

fn try_expand(phase: Phase, args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let fn_item: ItemFn = match syn::parse2(item.clone()) {
        Ok(fn_item) => fn_item,
        Err(_) => return Err(not_a_fn(phase, &item)),
    };
    let args: HookArgs = syn::parse2(args)?;
    let sig = signature::check(phase, &args, &fn_item)?;
    Ok(expand::registration(phase, &args, &fn_item, &sig))
}

/// The error for an attribute on something other than a fn, on the item's keyword.
fn not_a_fn(phase: Phase, item: &TokenStream) -> syn::Error {
    let attr = phase.attr_name();
    // Skip outer attributes (`#` + `[...]`) and visibility to reach `struct`, `impl`, ….
    let mut tokens = item.clone().into_iter().peekable();
    let keyword = loop {
        match tokens.next() {
            Some(TokenTree::Punct(p)) if p.as_char() == '#' => {
                tokens.next();
            }
            Some(TokenTree::Ident(i)) if i == "pub" => {
                if let Some(TokenTree::Group(_)) = tokens.peek() {
                    tokens.next();
                }
            }
            Some(other) => break other.into_token_stream(),
            None => break item.clone(),
        }
    };
    syn::Error::new_spanned(
        keyword,
        format!("#[{attr}] goes on a fn: write `#[{attr}] fn name(ctx: &AuthHookContext) {{ … }}`"),
    )
}
