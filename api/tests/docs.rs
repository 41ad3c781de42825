//! The documentation stands alone and stays true: `docs/schema.graphql` is exactly what the
//! server serves, and the README and `docs/` link only to files that exist in the repository.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("api/ has a parent")
        .to_path_buf()
}

#[test]
fn docs_schema_graphql_is_the_served_schema() {
    let path = repo_root().join("docs/schema.graphql");
    let documented = std::fs::read_to_string(&path).expect("docs/schema.graphql");
    let served = countersign::graphql::sdl();
    assert!(
        documented == served,
        "docs/schema.graphql is out of date: regenerate it with \
         `cargo run -q -- schema > docs/schema.graphql`"
    );
}

/// Markdown files a reader of the repository sees.
fn markdown_files() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files
}

/// The targets of `[text](target)` links in `text`.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            out.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    out
}

#[test]
fn readme_and_docs_link_only_to_files_in_the_repository() {
    let mut broken = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.display().to_string();
        if text.contains("shared/design") || text.contains("../shared") {
            broken.push(format!(
                "{name}: refers to design files readers do not have"
            ));
        }
        for target in link_targets(&text) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let path = target.split('#').next().unwrap_or_default();
            if path.is_empty() {
                continue; // an anchor in the same file
            }
            let resolved = file.parent().unwrap().join(path);
            if !resolved.exists() {
                broken.push(format!("{name}: link to missing file {target}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken documentation links:\n{}",
        broken.join("\n")
    );
}
