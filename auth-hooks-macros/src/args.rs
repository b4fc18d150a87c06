//! The attribute's arguments: `name`, `priority`, `backend`, `timeout_ms`, `crate`.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, ExprLit, ExprPath, ExprUnary, Ident, Lit, LitInt, LitStr, Path, Token, UnOp};

mod kw {
    syn::custom_keyword!(name);
    syn::custom_keyword!(priority);
    syn::custom_keyword!(backend);
    syn::custom_keyword!(timeout_ms);
}

/// The parsed arguments; each remembers the span of its key for later errors.
#[derive(Default)]
pub(crate) struct HookArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) priority: Option<i32>,
    pub(crate) backends: Vec<LitStr>,
    /// The timeout in milliseconds and the span of the `timeout_ms` key.
    pub(crate) timeout_ms: Option<(u64, Span)>,
    pub(crate) krate: Option<Path>,
}

impl Parse for HookArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = HookArgs::default();
        let mut seen: Vec<&'static str> = Vec::new();
        let mut errors: Option<syn::Error> = None;
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            let key: &'static str = if lookahead.peek(kw::name) {
                "name"
            } else if lookahead.peek(kw::priority) {
                "priority"
            } else if lookahead.peek(kw::backend) {
                "backend"
            } else if lookahead.peek(kw::timeout_ms) {
                "timeout_ms"
            } else if lookahead.peek(Token![crate]) {
                "crate"
            } else if input.peek(Ident::peek_any) {
                let unknown = input.call(Ident::parse_any)?;
                let message = format!("unknown argument `{unknown}`; expected one of {KEYS}");
                return Err(syn::Error::new(unknown.span(), message));
            } else {
                return Err(lookahead.error());
            };
            let key_span = input.cursor().span();
            input.step(|cursor| {
                let (_, rest) = cursor.token_tree().expect("peeked a key");
                Ok(((), rest))
            })?;
            if key != "backend" && seen.contains(&key) {
                let message = format!("`{key}` is given twice; give it once");
                return Err(syn::Error::new(key_span, message));
            }
            seen.push(key);
            if !input.peek(Token![=]) {
                let message = format!("`{key}` needs a value: `{}`", example(key));
                return Err(syn::Error::new(key_span, message));
            }
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            let result = args.set(key, key_span, &value);
            if let Err(err) = result {
                match &mut errors {
                    Some(all) => all.combine(err),
                    None => errors = Some(err),
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        match errors {
            Some(err) => Err(err),
            None => Ok(args),
        }
    }
}

/// The accepted keys, as listed in errors.
const KEYS: &str = "`name`, `priority`, `backend`, `timeout_ms`, `crate`";

/// How to write `key`, for errors.
fn example(key: &str) -> &'static str {
    match key {
        "name" => "name = \"audit_login\"",
        "priority" => "priority = 10",
        "backend" => "backend = \"password\"",
        "timeout_ms" => "timeout_ms = 250",
        _ => "crate = ::auth_hooks",
    }
}

impl HookArgs {
    fn set(&mut self, key: &str, key_span: Span, value: &Expr) -> syn::Result<()> {
        match key {
            "name" => {
                let name = string(value, "`name` takes a string: `name = \"audit_login\"`")?;
                if name.value().trim().is_empty() {
                    return Err(syn::Error::new(
                        name.span(),
                        "`name` cannot be empty; leave it out to use the fn's path",
                    ));
                }
                self.name = Some(name);
            }
            "priority" => {
                const HELP: &str =
                    "`priority` takes an integer, higher runs first: `priority = 10`";
                let (negative, lit) = integer(value, HELP)?;
                let digits = if negative {
                    format!("-{}", lit.base10_digits())
                } else {
                    lit.base10_digits().to_owned()
                };
                let priority = digits
                    .parse::<i32>()
                    .map_err(|_| syn::Error::new_spanned(value, "`priority` must fit in an i32"))?;
                self.priority = Some(priority);
            }
            "timeout_ms" => {
                const HELP: &str =
                    "`timeout_ms` takes a whole number of milliseconds: `timeout_ms = 250`";
                let (negative, lit) = integer(value, HELP)?;
                let millis = lit
                    .base10_parse::<u64>()
                    .ok()
                    .filter(|ms| *ms > 0 && !negative);
                let millis = millis.ok_or_else(|| {
                    syn::Error::new_spanned(value, "`timeout_ms` must be a positive number of milliseconds: `timeout_ms = 250`")
                })?;
                self.timeout_ms = Some((millis, key_span));
            }
            "backend" => {
                const HELP: &str = "`backend` takes a string or a list of strings: `backend = \"password\"` or `backend = [\"password\", \"oauth\"]`";
                let values: Vec<LitStr> = match value {
                    Expr::Array(array) => array
                        .elems
                        .iter()
                        .map(|e| string(e, HELP))
                        .collect::<syn::Result<_>>()?,
                    single => vec![string(single, HELP)?],
                };
                if values.is_empty() {
                    return Err(syn::Error::new_spanned(
                        value,
                        "`backend` needs at least one name; leave it out to run for every backend",
                    ));
                }
                for backend in values {
                    if backend.value().is_empty() {
                        return Err(syn::Error::new(
                            backend.span(),
                            "a backend name cannot be empty",
                        ));
                    }
                    if self.backends.iter().any(|b| b.value() == backend.value()) {
                        return Err(syn::Error::new(
                            backend.span(),
                            format!("backend \"{}\" is listed twice", backend.value()),
                        ));
                    }
                    self.backends.push(backend);
                }
            }
            "crate" => match value {
                Expr::Path(ExprPath {
                    attrs,
                    qself: None,
                    path,
                    ..
                }) if attrs.is_empty() => self.krate = Some(path.clone()),
                other => {
                    let message = format!("`crate` takes a path: `{}`", example(key));
                    return Err(syn::Error::new_spanned(other, message));
                }
            },
            _ => unreachable!("keys are checked by the parser"),
        }
        Ok(())
    }
}

fn string(value: &Expr, help: &str) -> syn::Result<LitStr> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(other, help)),
    }
}

/// An integer literal, possibly negated: `(negative, literal)`.
fn integer(value: &Expr, help: &str) -> syn::Result<(bool, LitInt)> {
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => Ok((false, i.clone())),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr,
            ..
        }) => match &**expr {
            Expr::Lit(ExprLit {
                lit: Lit::Int(i), ..
            }) => Ok((true, i.clone())),
            _ => Err(syn::Error::new_spanned(value, help)),
        },
        other => Err(syn::Error::new_spanned(other, help)),
    }
}
