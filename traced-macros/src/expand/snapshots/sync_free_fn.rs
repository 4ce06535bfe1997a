pub fn find(user_id: u64, name: &str) -> Option<String> {
    static __TRACED_CALLSITE: ::traced::__private::Callsite = ::traced::__private::Callsite::module_fn(
        ::core::module_path!(),
        "find",
        ::traced::__private::Kind::Internal,
    );
    let __traced_guard = ::traced::__private::SpanGuard::enter(
        ::traced::__private::ActiveSpan::start(
            &__TRACED_CALLSITE,
            __TRACED_CALLSITE.name(),
            3usize,
            |__traced_attrs: &mut ::std::vec::Vec<::traced::__private::KeyValue>| {
                __traced_attrs
                    .push(
                        ::traced::__private::KeyValue::new(
                            "user.id",
                            ::traced::__private::ToAttributeValue::to_attribute_value(
                                &(user_id),
                            ),
                        ),
                    );
                __traced_attrs
                    .push(
                        ::traced::__private::KeyValue::new(
                            "db.table",
                            ::traced::__private::ToAttributeValue::to_attribute_value(
                                &("users"),
                            ),
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
        ),
    );
    { Some(format!("{user_id}{name}")) }
}
