//! `(prompt ROLE TEXT :schema S)`: the reply must be JSON matching the JSON Schema S (a map
//! written in Duet, keys strings or keywords, e.g. `{:type "object" :required ["title"]}`).
//!
//! The schema travels with the request as JSON text. A real agent is told to answer with
//! such JSON ([`instruction`]); the `echo` agent answers with an instance made up from the
//! schema ([`example`]), so a dry run with `--agents echo` gets through a schema'd prompt.
//! The workflow checks the reply inside its turn ([`parse_reply`]): a code fence around the
//! JSON is tolerated, anything else that is not a matching JSON value is an `:agent` error
//! naming what is wrong. Validation is `jsonschema` (drafts 4 to 2020-12, no remote `$ref`).

use serde_json::{Map, Value, json};

use duet_sam::Term;

/// The schema as JSON, or why it is not one: keywords become their names (`:object` is
/// `"object"`), map keys must be strings or keywords.
pub fn to_json(term: &Term) -> Result<Value, String> {
    Ok(match term {
        Term::Nil => Value::Null,
        Term::Bool(b) => json!(b),
        Term::Int(i) => json!(i),
        Term::Float(f) => json!(f),
        Term::Str(s) | Term::Keyword(s) | Term::Symbol(s) => json!(s.as_ref()),
        Term::List(items) | Term::Vector(items) => {
            Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Term::Map(map) => {
            let mut object = Map::new();
            for (k, v) in map.entries() {
                let key = match k {
                    Term::Str(s) | Term::Keyword(s) => s.to_string(),
                    other => {
                        return Err(format!(
                            "a schema's keys are strings or keywords, not {other}"
                        ));
                    }
                };
                object.insert(key, to_json(v)?);
            }
            Value::Object(object)
        }
        other => {
            return Err(format!(
                "a schema is made of maps, vectors and literals, not {other}"
            ));
        }
    })
}

/// JSON as a term: objects become maps with string keys, arrays vectors, null nil (as
/// `json-decode` reads it).
pub fn to_term(json: &Value) -> Term {
    match json {
        Value::Null => Term::Nil,
        Value::Bool(b) => Term::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Term::Int(i),
            None => Term::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Term::Str(s.as_str().into()),
        Value::Array(items) => Term::vector(items.iter().map(to_term).collect()),
        Value::Object(object) => Term::map(
            object
                .iter()
                .map(|(k, v)| (Term::Str(k.as_str().into()), to_term(v))),
        ),
    }
}

/// Whether `schema` is a schema `jsonschema` accepts.
pub fn check(schema: &Value) -> Result<(), String> {
    jsonschema::validator_for(schema)
        .map(|_| ())
        .map_err(|e| format!("not a valid JSON Schema: {e}"))
}

/// What a real agent is told after the prompt's text.
pub fn instruction(schema: &Value) -> String {
    format!(
        "\n\nAnswer with only a JSON value, no prose and no code fence, that matches this JSON Schema:\n{schema}"
    )
}

/// Reads `reply` as JSON (inside a ```` ``` ```` fence or not) and checks it against
/// `schema`.
pub fn parse_reply(reply: &str, schema: &Value) -> Result<Value, String> {
    let text = unfenced(reply);
    let value: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "the reply is not JSON ({e}); it begins: {}",
            super::excerpt(reply, 120)
        )
    })?;
    let validator = jsonschema::validator_for(schema).map_err(|e| e.to_string())?;
    let problems: Vec<String> = validator
        .iter_errors(&value)
        .take(5)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("at {at}: {e}")
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(value)
    } else {
        Err(format!(
            "the reply does not match the schema: {}",
            problems.join("; ")
        ))
    }
}

/// The text inside the first code fence of `reply`, or all of it.
fn unfenced(reply: &str) -> &str {
    let trimmed = reply.trim();
    let Some(start) = trimmed.find("```") else {
        return trimmed;
    };
    let after = &trimmed[start + 3..];
    // Skip the fence's language tag (```json).
    let body = after.find('\n').map_or(after, |n| &after[n + 1..]);
    match body.find("```") {
        Some(end) => body[..end].trim(),
        None => trimmed,
    }
}

/// An instance of `schema` made up from its `const`, `enum`, `default` and `examples`, or
/// else from its type: objects with their required properties, the shortest arrays and
/// strings allowed, numbers at their minimum.
pub fn example(schema: &Value) -> Value {
    example_at(schema, 0)
}

fn example_at(schema: &Value, depth: usize) -> Value {
    let Some(schema) = schema.as_object() else {
        return Value::Null;
    };
    if depth > 32 {
        return Value::Null;
    }
    if let Some(v) = schema.get("const").or_else(|| schema.get("default")) {
        return v.clone();
    }
    for key in ["enum", "examples"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return first.clone();
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = schema
            .get(key)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
        {
            return example_at(first, depth + 1);
        }
    }
    let number = |key: &str| schema.get(key).and_then(Value::as_f64);
    let kind = match schema.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types.first().and_then(Value::as_str).unwrap_or("null"),
        _ if schema.contains_key("properties") => "object",
        _ if schema.contains_key("items") => "array",
        _ => "null",
    };
    match kind {
        "object" => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let mut object = Map::new();
            for name in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let property = properties.and_then(|p| p.get(name)).unwrap_or(&Value::Null);
                object.insert(name.to_string(), example_at(property, depth + 1));
            }
            Value::Object(object)
        }
        "array" => {
            let count = number("minItems").unwrap_or(0.0).clamp(0.0, 16.0) as usize;
            let item = schema
                .get("items")
                .map_or(Value::Null, |i| example_at(i, depth + 1));
            Value::Array(vec![item; count])
        }
        "string" => {
            let length = number("minLength").unwrap_or(0.0).clamp(0.0, 64.0) as usize;
            json!("x".repeat(length))
        }
        // Past 2^53 a minimum is kept as a float: `as i64` would saturate below it.
        "integer" => match number("minimum").map(f64::ceil) {
            Some(m) if m.abs() < 9.0e15 => json!(m as i64),
            Some(m) => json!(m),
            None => json!(0),
        },
        "number" => json!(number("minimum").unwrap_or(0.0)),
        "boolean" => json!(false),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["title", "steps", "size"],
            "properties": {
                "title": {"type": "string", "minLength": 3},
                "steps": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "size": {"enum": ["small", "large"]},
                "notes": {"type": "string"}
            }
        })
    }

    #[test]
    fn examples_satisfy_their_schema() {
        let example = example(&schema());
        assert_eq!(
            example,
            json!({"title": "xxx", "steps": [""], "size": "small"})
        );
        assert!(parse_reply(&example.to_string(), &schema()).is_ok());
    }

    #[test]
    fn huge_minimums_still_give_valid_examples() {
        let schema = json!({"type": "integer", "minimum": 1e300});
        assert!(parse_reply(&example(&schema).to_string(), &schema).is_ok());
        let schema = json!({"type": "integer", "minimum": -3.5});
        assert_eq!(example(&schema), json!(-3));
    }

    #[test]
    fn replies_are_read_inside_fences_and_checked() {
        let fenced = "Here you go:\n```json\n{\"title\": \"Plan\", \"steps\": [\"a\"], \"size\": \"large\"}\n```";
        assert_eq!(
            parse_reply(fenced, &schema()).expect("valid")["size"],
            "large"
        );
        let wrong = r#"{"title": "P", "steps": [], "size": "medium"}"#;
        let why = parse_reply(wrong, &schema()).expect_err("three problems");
        assert!(why.contains("at /title"), "{why}");
        assert!(why.contains("at /steps"), "{why}");
        assert!(why.contains("at /size"), "{why}");
        let prose = parse_reply("I think the plan is fine.", &schema()).expect_err("not JSON");
        assert!(prose.starts_with("the reply is not JSON"), "{prose}");
    }

    #[test]
    fn duet_maps_with_keywords_become_schemas() {
        let term = Term::map([
            (Term::Keyword("type".into()), Term::Keyword("object".into())),
            (
                Term::Keyword("required".into()),
                Term::vector(vec![Term::Str("a".into())]),
            ),
        ]);
        let json = to_json(&term).expect("a schema");
        assert_eq!(json, json!({"type": "object", "required": ["a"]}));
        assert!(check(&json).is_ok());
        assert!(check(&json!({"type": 12})).is_err());
        assert!(to_json(&Term::map([(Term::Int(1), Term::Nil)])).is_err());
    }
}
