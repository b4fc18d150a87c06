//! The attribute's arguments: `name`, `priority`, `backend`, `timeout_ms`, `on_error`,
//! `mode`, `breaker(failures = N, open_ms = T)`, `fallback`, `crate`.

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::{
    parenthesized, Expr, ExprLit, ExprPath, ExprUnary, Ident, Lit, LitInt, LitStr, Path, Token,
    UnOp,
};

mod kw {
    syn::custom_keyword!(name);
    syn::custom_keyword!(priority);
    syn::custom_keyword!(backend);
    syn::custom_keyword!(timeout_ms);
    syn::custom_keyword!(on_error);
    syn::custom_keyword!(mode);
    syn::custom_keyword!(breaker);
    syn::custom_keyword!(fallback);
    syn::custom_keyword!(failures);
    syn::custom_keyword!(open_ms);
}

/// `breaker(failures = N, open_ms = T)`.
pub(crate) struct BreakerArgs {
    pub(crate) failures: u32,
    pub(crate) open_ms: u64,
}

/// The parsed arguments; each remembers the span of its key for later errors.
#[derive(Default)]
pub(crate) struct HookArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) priority: Option<i32>,
    pub(crate) backends: Vec<LitStr>,
    /// The timeout in milliseconds and the span of the `timeout_ms` key.
    pub(crate) timeout_ms: Option<(u64, Span)>,
    /// `"raise"` or `"log"`.
    pub(crate) on_error: Option<LitStr>,
    /// `"enforce"` or `"shadow"`.
    pub(crate) mode: Option<LitStr>,
    pub(crate) breaker: Option<BreakerArgs>,
    /// `"allow"` or `"fail"`.
    pub(crate) fallback: Option<LitStr>,
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
            } else if lookahead.peek(kw::on_error) {
                "on_error"
            } else if lookahead.peek(kw::mode) {
                "mode"
            } else if lookahead.peek(kw::breaker) {
                "breaker"
            } else if lookahead.peek(kw::fallback) {
                "fallback"
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
            if key == "breaker" {
                let parsed = parse_breaker(input, key_span);
                match parsed {
                    Ok(breaker) => args.breaker = Some(breaker),
                    Err(err) => match &mut errors {
                        Some(all) => all.combine(err),
                        None => errors = Some(err),
                    },
                }
                if input.is_empty() {
                    break;
                }
                input.parse::<Token![,]>()?;
                continue;
            }
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
        if let (Some(fallback), None) = (&args.fallback, &args.breaker) {
            let err = syn::Error::new(
                fallback.span(),
                "`fallback` says what a hook counts as while its breaker is open, and this hook has no breaker; add `breaker(failures = 3, open_ms = 30000)` or remove `fallback`",
            );
            match &mut errors {
                Some(all) => all.combine(err),
                None => errors = Some(err),
            }
        }
        match errors {
            Some(err) => Err(err),
            None => Ok(args),
        }
    }
}

/// The parenthesized settings after `breaker`: both `failures` and `open_ms`, positive.
fn parse_breaker(input: ParseStream<'_>, key_span: Span) -> syn::Result<BreakerArgs> {
    const HELP: &str =
        "`breaker` takes its settings in parentheses: `breaker(failures = 3, open_ms = 30000)`";
    if !input.peek(syn::token::Paren) {
        // `breaker = 3`: point at the whole mistake, not at what follows it.
        let mut wrong = key_span;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let value: Expr = input.parse()?;
            wrong = wrong
                .join(syn::spanned::Spanned::span(&value))
                .unwrap_or(wrong);
        }
        return Err(syn::Error::new(wrong, HELP));
    }
    let content;
    let parens = parenthesized!(content in input);
    let (mut failures, mut open_ms) = (None, None);
    while !content.is_empty() {
        let lookahead = content.lookahead1();
        let key = if lookahead.peek(kw::failures) {
            content.parse::<kw::failures>()?;
            "failures"
        } else if lookahead.peek(kw::open_ms) {
            content.parse::<kw::open_ms>()?;
            "open_ms"
        } else if content.peek(Ident::peek_any) {
            let unknown = content.call(Ident::parse_any)?;
            return Err(syn::Error::new(
                unknown.span(),
                format!("unknown breaker setting `{unknown}`; expected `failures` and `open_ms`: `breaker(failures = 3, open_ms = 30000)`"),
            ));
        } else {
            return Err(lookahead.error());
        };
        content.parse::<Token![=]>()?;
        let value: Expr = content.parse()?;
        let (negative, lit) = integer(&value, HELP)?;
        let number = lit
            .base10_parse::<u64>()
            .ok()
            .filter(|n| *n > 0 && !negative);
        let number = number.ok_or_else(|| {
            syn::Error::new_spanned(&value, format!("`{key}` must be a positive whole number: `breaker(failures = 3, open_ms = 30000)`"))
        })?;
        let slot = if key == "failures" {
            &mut failures
        } else {
            &mut open_ms
        };
        if slot.replace(number).is_some() {
            return Err(syn::Error::new_spanned(
                &value,
                format!("`{key}` is given twice; give it once"),
            ));
        }
        if content.is_empty() {
            break;
        }
        content.parse::<Token![,]>()?;
    }
    let missing = match (failures, open_ms) {
        (Some(failures), Some(open_ms)) => {
            let failures = u32::try_from(failures)
                .map_err(|_| syn::Error::new(parens.span.join(), "`failures` must fit in a u32"))?;
            return Ok(BreakerArgs { failures, open_ms });
        }
        (None, _) => "failures",
        (_, None) => "open_ms",
    };
    Err(syn::Error::new(
        parens.span.join(),
        format!("`breaker` needs `{missing}`: `breaker(failures = 3, open_ms = 30000)` opens after 3 consecutive failures and probes after 30 s"),
    ))
}

/// The accepted keys, as listed in errors.
const KEYS: &str = "`name`, `priority`, `backend`, `timeout_ms`, `on_error`, `mode`, `breaker`, `fallback`, `crate`";

/// How to write `key`, for errors.
fn example(key: &str) -> &'static str {
    match key {
        "name" => "name = \"audit_login\"",
        "priority" => "priority = 10",
        "backend" => "backend = \"password\"",
        "timeout_ms" => "timeout_ms = 250",
        "on_error" => "on_error = \"log\"",
        "mode" => "mode = \"shadow\"",
        "fallback" => "fallback = \"allow\"",
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
            "on_error" => {
                self.on_error = Some(choice(
                    value,
                    "on_error",
                    &["raise", "log"],
                    "`on_error` takes `\"raise\"` (a failure stops the flow) or `\"log\"` (it is logged and the flow goes on)",
                )?)
            }
            "mode" => {
                self.mode = Some(choice(
                    value,
                    "mode",
                    &["enforce", "shadow"],
                    "`mode` takes `\"enforce\"` (the default) or `\"shadow\"` (the hook runs, its rejects and failures are only logged and counted)",
                )?)
            }
            "fallback" => {
                self.fallback = Some(choice(
                    value,
                    "fallback",
                    &["allow", "fail"],
                    "`fallback` takes `\"allow\"` (an open breaker counts as a pass) or `\"fail\"` (as a failure, the default)",
                )?)
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

/// A string literal that is one of `allowed`.
fn choice(value: &Expr, key: &str, allowed: &[&str], help: &str) -> syn::Result<LitStr> {
    let lit = string(value, help)?;
    if allowed.contains(&lit.value().as_str()) {
        return Ok(lit);
    }
    let expected = allowed
        .iter()
        .map(|a| format!("`\"{a}\"`"))
        .collect::<Vec<_>>()
        .join(" or ");
    Err(syn::Error::new(
        lit.span(),
        format!(
            "unknown `{key}` value \"{}\"; expected {expected}",
            lit.value()
        ),
    ))
}
