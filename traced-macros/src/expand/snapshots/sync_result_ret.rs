fn load(id: u32) -> Result<u32, std::io::Error> {
    static __TRACED_CALLSITE: ::traced::__private::Callsite = ::traced::__private::Callsite::new(
        "UserService.load",
        ::traced::__private::Kind::Internal,
    );
    let mut __traced_guard = ::traced::__private::SpanGuard::start(
        &__TRACED_CALLSITE,
        || __TRACED_CALLSITE.name(),
        1usize,
        |__traced_attrs: &mut ::traced::__private::Attributes| {
            __traced_attrs
                .push(
                    ::traced::__private::KeyValue::new(
                        "id",
                        {
                            #[allow(unused_imports)]
                            use ::traced::__private::{
                                DebugAttribute as _, TypedAttribute as _,
                            };
                            (&&::traced::__private::AttributeRef(&id))
                                .traced_attribute_value()
                        },
                    ),
                );
        },
        ::std::vec::Vec::new,
    );
    let __traced_result: Result<u32, std::io::Error> = ::traced::__private::call_once(move || -> Result<
        u32,
        std::io::Error,
    > {
        if id == 0 {
            return Err(std::io::Error::other("zero"));
        }
        Ok(id * 2)
    });
    if let ::core::option::Option::Some(__traced_span) = __traced_guard.span() {
        match ::traced::__private::ReturnedResult::traced_parts(&__traced_result) {
            ::core::result::Result::Ok(__traced_ok) => {
                #[allow(unused_imports)]
                use ::traced::__private::{RecordDebugValue as _, RecordTypedValue as _};
                (&&::traced::__private::ValueRef(__traced_ok))
                    .traced_record_ret(__traced_span);
            }
            ::core::result::Result::Err(__traced_err) => {
                #[allow(unused_imports)]
                use ::traced::__private::{
                    RecordDebugError as _, RecordDerefError as _,
                    RecordDisplayError as _, RecordOpaqueError as _, RecordStdError as _,
                };
                (&&&&&::traced::__private::ErrorRef(__traced_err))
                    .traced_record_error(__traced_span, true);
            }
        }
    }
    __traced_result
}
