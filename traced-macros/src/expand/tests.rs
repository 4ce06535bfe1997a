//! Expansion snapshots: what the macro emits for a few forms, formatted, so
//! reviewers can read it. Regenerate with `TRACED_BLESS=1 cargo test -p traced-macros`.

use proc_macro2::TokenStream;
use quote::quote;
use std::path::PathBuf;

fn expand(args: TokenStream, item: TokenStream) -> String {
    let out = super::traced(args, item);
    match syn::parse2::<syn::File>(out.clone()) {
        Ok(file) => prettyplease::unparse(&file),
        Err(_) => out.to_string(),
    }
}

fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/expand/snapshots").join(format!("{name}.rs"));
    if std::env::var_os("TRACED_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let Ok(expected) = std::fs::read_to_string(&path) else {
        panic!("no snapshot {}: review the expansion and bless it with TRACED_BLESS=1", path.display());
    };
    assert_eq!(actual, expected, "expansion of {name} changed; review and bless with TRACED_BLESS=1");
}

#[test]
fn sync_free_fn_with_fields() {
    snapshot(
        "sync_free_fn",
        &expand(
            quote!(fields(user.id = user_id, db.table = "users", name = %name)),
            quote! {
                pub fn find(user_id: u64, name: &str) -> Option<String> {
                    Some(format!("{user_id}{name}"))
                }
            },
        ),
    );
}

#[test]
fn sync_result_with_ret() {
    snapshot(
        "sync_result_ret",
        &expand(
            quote!(service = "UserService", args(id), ret),
            quote! {
                fn load(id: u32) -> Result<u32, std::io::Error> {
                    if id == 0 { return Err(std::io::Error::other("zero")); }
                    Ok(id * 2)
                }
            },
        ),
    );
}

#[test]
fn async_method_in_impl() {
    snapshot(
        "async_impl",
        &expand(
            quote!(kind = server),
            quote! {
                impl<'a> UserService<'a> {
                    pub async fn get_user(&self, id: u64, (a, b): (u8, u8)) -> Result<User, DbError> {
                        self.db.fetch(id).await
                    }
                    #[traced(skip)]
                    fn helper(&self) {}
                }
            },
        ),
    );
}

#[test]
fn lone_method_and_impl_future() {
    snapshot(
        "lone_method_impl_future",
        &expand(
            quote!(),
            quote! {
                fn fetch(&self) -> impl std::future::Future<Output = u32> + '_ {
                    async move { self.n }
                }
            },
        ),
    );
}

#[test]
fn track_caller_body_as_labelled_block() {
    snapshot(
        "sync_track_caller",
        &expand(
            quote!(),
            quote! {
                #[track_caller]
                fn parse(fail: bool) -> Result<u32, String> {
                    if fail { return Err("failed".to_owned()); }
                    let n: u32 = "7".parse().map_err(|_| "nan".to_owned())?;
                    Ok(n)
                }
            },
        ),
    );
}
