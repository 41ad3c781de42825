//! Bounds on the work one GraphQL operation may ask for, checked on the parsed document before
//! async-graphql validates or runs it (over HTTP and WebSocket alike), and a bound on how many of
//! its root fields resolve at once. Refusals are `BAD_USER_INPUT` naming the limit.
//!
//! - Size: fields counted with fragment spreads expanded (memoized per fragment, saturating,
//!   cycle-safe), aliases likewise, and nesting through fragments.
//! - Expensive root fields: `analytics` and friends may appear only a few times per operation.
//! - Arguments and variables: lists are at most `max_list_items` long, and no string (JSON
//!   scalars and object keys included) holds a NUL byte, which PostgreSQL cannot store.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextResolve, ResolveInfo,
};
use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{
    ErrorExtensions, Name, Pos, Request, ServerError, ServerResult, Value, Variables,
};

use crate::error::AppError;

/// Nesting of selection sets and fragment spreads beyond which a document is refused (the same
/// bound async-graphql applies after us with `limit_recursive_depth`).
pub const MAX_NESTING: usize = 32;

/// Directives one field may carry (`@skip`, `@include` and a few more are plenty).
pub const MAX_DIRECTIVES_PER_FIELD: usize = 8;

/// Root fields that cost far more than a row read, and how often one operation may name each
/// (distinct response keys, after fragments are expanded).
pub const EXPENSIVE_ROOT_FIELDS: &[(&str, u64)] = &[
    ("analytics", 2),
    ("backtestPolicy", 1),
    ("verifyAuditChain", 1),
    ("simulatePolicy", 2),
    ("approvalRequests", 25),
    ("approvalQueue", 25),
    ("sampleQueue", 25),
    ("auditLog", 25),
    ("reasonCodes", 2),
    ("awaitDecision", 1),
];

/// The limits, from the settings.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Fields per operation, fragments expanded.
    pub max_fields: u64,
    /// Aliased fields per operation, fragments expanded.
    pub max_aliases: u64,
    /// Items of any list in an argument or variable.
    pub max_list_items: usize,
    /// Root fields of one operation resolving at once (each may hold a database connection).
    pub root_concurrency: usize,
}

impl Limits {
    /// The limits of `settings`: one operation's root fields may use a quarter of the pool.
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        Limits {
            max_fields: settings.graphql_max_fields,
            max_aliases: settings.graphql_max_aliases,
            max_list_items: settings.graphql_max_list_items,
            root_concurrency: usize::try_from(settings.db_max_connections / 4)
                .unwrap_or(1)
                .max(1),
        }
    }
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            limits: self.clone(),
            root: Arc::new(tokio::sync::Semaphore::new(self.root_concurrency.max(1))),
        })
    }
}

/// One request's instance: the limits and the permits its root fields share.
struct LimitsExtension {
    limits: Limits,
    root: Arc<tokio::sync::Semaphore>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        // Parsed once: the document the HTTP layer already parsed is reused, and the one parsed
        // here is kept for async-graphql.
        let variables = std::mem::take(&mut request.variables);
        let checked = request.parsed_query().and_then(|doc| {
            check_document(&self.limits, &ctx.schema_env.registry, doc, &variables)
        });
        request.variables = variables;
        checked?;
        next.run(ctx, request).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        // A root field holds a permit while it and everything below it resolve.
        let _permit = self.root.acquire().await.ok();
        next.run(ctx, info).await
    }
}

/// A `BAD_USER_INPUT` refusal naming `field` (dot separated) when there is one.
fn refuse(field: &str, message: String, pos: Option<Pos>) -> ServerError {
    let err = AppError::bad_input(field, message).extend();
    let mut server = ServerError::new(err.message, pos);
    server.extensions = err.extensions;
    server
}

fn check_document(
    limits: &Limits,
    registry: &Registry,
    doc: &ExecutableDocument,
    variables: &Variables,
) -> ServerResult<()> {
    let mut size = Size::new(doc);
    for (_, op) in doc.operations.iter() {
        check_root_fields(doc, &op.node.selection_set.node)?;
        let cost = size.selection_set(&op.node.selection_set.node, 0)?;
        if cost.fields > limits.max_fields {
            return Err(refuse(
                "",
                format!(
                    "the operation selects {} fields (fragments expanded); at most {} are allowed",
                    cost.fields, limits.max_fields
                ),
                Some(op.pos),
            ));
        }
        if cost.aliases > limits.max_aliases {
            return Err(refuse(
                "",
                format!(
                    "the operation uses {} aliases (fragments expanded); at most {} are allowed",
                    cost.aliases, limits.max_aliases
                ),
                Some(op.pos),
            ));
        }
    }

    let args = Args { limits, registry };
    for (_, op) in doc.operations.iter() {
        let root = match op.node.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        for def in &op.node.variable_definitions {
            let ty = def.node.var_type.node.to_string();
            let name = format!("${}", def.node.name.node);
            if let Some(value) = variables.get(&def.node.name.node) {
                args.value(&ty, value, &name, Some(def.pos))?;
            }
            if let Some(default) = &def.node.default_value {
                args.value(&ty, &default.node, &name, Some(default.pos))?;
            }
            args.directives(&def.node.directives)?;
        }
        args.directives(&op.node.directives)?;
        args.selection_set(root, &op.node.selection_set.node)?;
    }
    for fragment in doc.fragments.values() {
        args.directives(&fragment.node.directives)?;
        args.selection_set(
            Some(fragment.node.type_condition.node.on.node.as_str()),
            &fragment.node.selection_set.node,
        )?;
    }
    Ok(())
}

/// Fields and aliases of a selection set with fragments expanded.
#[derive(Clone, Copy, Default)]
struct Cost {
    fields: u64,
    aliases: u64,
}

impl Cost {
    fn add(&mut self, other: Cost) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
    }
}

/// Counts fields as if every fragment spread were written out, computing each fragment once.
struct Size<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a Name, Cost>,
    open: HashSet<&'a Name>,
}

impl<'a> Size<'a> {
    fn new(doc: &'a ExecutableDocument) -> Self {
        Size {
            doc,
            memo: HashMap::new(),
            open: HashSet::new(),
        }
    }

    fn selection_set(&mut self, set: &'a SelectionSet, depth: usize) -> ServerResult<Cost> {
        if depth > MAX_NESTING {
            return Err(refuse(
                "",
                format!("selections and fragments nest more than {MAX_NESTING} levels deep"),
                None,
            ));
        }
        let mut cost = Cost::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    cost.add(Cost {
                        fields: 1,
                        aliases: u64::from(field.node.alias.is_some()),
                    });
                    cost.add(self.selection_set(&field.node.selection_set.node, depth + 1)?);
                }
                Selection::InlineFragment(inline) => {
                    cost.add(self.selection_set(&inline.node.selection_set.node, depth + 1)?);
                }
                Selection::FragmentSpread(spread) => {
                    cost.add(self.fragment(&spread.node.fragment_name.node, depth + 1)?);
                }
            }
        }
        Ok(cost)
    }

    fn fragment(&mut self, name: &'a Name, depth: usize) -> ServerResult<Cost> {
        if let Some(cost) = self.memo.get(name) {
            return Ok(*cost);
        }
        // A cycle (refused by validation later) or an unknown fragment adds nothing here.
        let Some(fragment) = self.doc.fragments.get(name) else {
            return Ok(Cost::default());
        };
        if !self.open.insert(name) {
            return Ok(Cost::default());
        }
        let cost = self.selection_set(&fragment.node.selection_set.node, depth);
        self.open.remove(name);
        let cost = cost?;
        self.memo.insert(name, cost);
        Ok(cost)
    }
}

/// Refuses an operation naming an expensive root field more often than it may.
fn check_root_fields(doc: &ExecutableDocument, set: &SelectionSet) -> ServerResult<()> {
    let mut keys: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut seen = HashSet::new();
    root_fields(doc, set, &mut keys, &mut seen);
    for (name, max) in EXPENSIVE_ROOT_FIELDS {
        let n = keys.get(name).map_or(0, |k| k.len() as u64);
        if n > *max {
            return Err(refuse(
                name,
                format!(
                    "`{name}` may appear at most {max} time(s) in one operation (found {n} aliases)"
                ),
                None,
            ));
        }
    }
    Ok(())
}

/// Response keys of each root field, through fragments at the root (each fragment once).
fn root_fields<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    keys: &mut HashMap<&'a str, HashSet<&'a str>>,
    seen: &mut HashSet<&'a Name>,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                let key = field.node.alias.as_ref().map_or(name, |a| a.node.as_str());
                keys.entry(name).or_default().insert(key);
            }
            Selection::InlineFragment(inline) => {
                root_fields(doc, &inline.node.selection_set.node, keys, seen);
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                if seen.insert(name)
                    && let Some(fragment) = doc.fragments.get(name)
                {
                    root_fields(doc, &fragment.node.selection_set.node, keys, seen);
                }
            }
        }
    }
}

/// Checks argument values and variables against the list bound and for NUL bytes, guided by the
/// schema's types so that only GraphQL lists are bounded (a JSON scalar may hold any array).
struct Args<'a> {
    limits: &'a Limits,
    registry: &'a Registry,
}

impl Args<'_> {
    /// Every field's inline arguments, each selection set of the document visited once.
    fn selection_set(&self, parent: Option<&str>, set: &SelectionSet) -> ServerResult<()> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let meta = parent
                        .and_then(|p| self.registry.types.get(p))
                        .and_then(|t| t.field_by_name(&field.node.name.node));
                    for (name, value) in &field.node.arguments {
                        let ty = meta
                            .and_then(|m| m.args.get(name.node.as_str()))
                            .map(|a| a.ty.as_str());
                        let path = format!("{}.{}", field.node.name.node, name.node);
                        // Variables count as null here: they are checked on their own, once.
                        let value = value
                            .node
                            .clone()
                            .into_const_with(|_| Ok::<_, Infallible>(Value::Null))
                            .unwrap_or(Value::Null);
                        self.value(ty.unwrap_or(""), &value, &path, Some(name.pos))?;
                    }
                    self.directives(&field.node.directives)?;
                    let child = meta.map(|m| MetaTypeName::concrete_typename(&m.ty));
                    self.selection_set(child, &field.node.selection_set.node)?;
                }
                Selection::InlineFragment(inline) => {
                    self.directives(&inline.node.directives)?;
                    let ty = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str())
                        .or(parent);
                    self.selection_set(ty, &inline.node.selection_set.node)?;
                }
                Selection::FragmentSpread(spread) => {
                    self.directives(&spread.node.directives)?;
                }
            }
        }
        Ok(())
    }

    fn directives(&self, directives: &[async_graphql::Positioned<Directive>]) -> ServerResult<()> {
        for d in directives {
            for (name, value) in &d.node.arguments {
                let path = format!("@{}.{}", d.node.name.node, name.node);
                // Variables count as null here: they are checked on their own, once.
                let value = value
                    .node
                    .clone()
                    .into_const_with(|_| Ok::<_, Infallible>(Value::Null))
                    .unwrap_or(Value::Null);
                self.value("", &value, &path, Some(name.pos))?;
            }
        }
        Ok(())
    }

    /// `value` given for type `ty` (`[String!]!`-style; empty when unknown).
    fn value(&self, ty: &str, value: &Value, path: &str, pos: Option<Pos>) -> ServerResult<()> {
        let ty = ty.strip_suffix('!').unwrap_or(ty);
        if let Some(item_ty) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return match value {
                Value::List(items) => {
                    if items.len() > self.limits.max_list_items {
                        return Err(refuse(
                            path.trim_start_matches('$'),
                            format!(
                                "{path} has {} items; a list may have at most {}",
                                items.len(),
                                self.limits.max_list_items
                            ),
                            pos,
                        ));
                    }
                    for (i, item) in items.iter().enumerate() {
                        self.value(item_ty, item, &format!("{path}.{i}"), pos)?;
                    }
                    Ok(())
                }
                // A single value stands for a list of one.
                other => self.value(item_ty, other, path, pos),
            };
        }
        match (self.registry.types.get(ty), value) {
            (Some(MetaType::InputObject { input_fields, .. }), Value::Object(fields)) => {
                for (name, v) in fields {
                    let path = format!("{path}.{name}");
                    no_nul(name, &path, pos)?;
                    let field_ty = input_fields
                        .get(name.as_str())
                        .map_or("", |f| f.ty.as_str());
                    self.value(field_ty, v, &path, pos)?;
                }
                Ok(())
            }
            // Scalars (JSON included), enums and unknown types: every string and key, any depth.
            _ => any_value(value, path, pos),
        }
    }
}

fn any_value(value: &Value, path: &str, pos: Option<Pos>) -> ServerResult<()> {
    match value {
        Value::String(s) => no_nul(s, path, pos),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                any_value(item, &format!("{path}.{i}"), pos)?;
            }
            Ok(())
        }
        Value::Object(fields) => {
            for (name, v) in fields {
                let path = format!("{path}.{name}");
                no_nul(name, &path, pos)?;
                any_value(v, &path, pos)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn no_nul(s: &str, path: &str, pos: Option<Pos>) -> ServerResult<()> {
    if s.contains('\0') {
        return Err(refuse(
            path.trim_start_matches('$'),
            format!("{path} contains a NUL character (\\u0000), which is not accepted in text"),
            pos,
        ));
    }
    Ok(())
}
