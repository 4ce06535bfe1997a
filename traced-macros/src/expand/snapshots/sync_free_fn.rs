pub fn find(user_id: u64, name: &str) -> Option<String> {
    static __TRACED_CALLSITE: ::traced::__private::Callsite = ::traced::__private::Callsite::module_fn(
        ::core::module_path!(),
        "find",
        ::traced::__private::Kind::Internal,
    );
    let __traced_guard = ::traced::__private::SpanGuard::start(
        &__TRACED_CALLSITE,
        || __TRACED_CALLSITE.name(),
        3usize,
        |__traced_attrs: &mut ::traced::__private::Attributes| {
            __traced_attrs
                .push(
                    ::traced::__private::KeyValue::new(
                        "user.id",
                        {
                            #[allow(unused_imports)]
                            use ::traced::__private::{
                                DebugAttribute as _, TypedAttribute as _,
                            };
                            (&&::traced::__private::AttributeRef(&(user_id)))
                                .traced_attribute_value()
                        },
                    ),
                );
            __traced_attrs
                .push(
                    ::traced::__private::KeyValue::new(
                        "db.table",
                        ::traced::__private::Value::from("users"),
                    ),
                );
            __traced_attrs
                .push(
                    ::traced::__private::KeyValue::new(
                        "name",
                        ::traced::__private::ToAttributeValue::to_attribute_value(
                            &::traced::__private::DisplayValue(&(name)),
                        ),
                    ),
                );
        },
        ::std::vec::Vec::new,
    );
    Some(format!("{user_id}{name}"))
}
