#[track_caller]
fn parse(fail: bool) -> Result<u32, String> {
    static __TRACED_CALLSITE: ::traced::__private::Callsite = ::traced::__private::Callsite::module_fn(
        ::core::module_path!(),
        "parse",
        ::traced::__private::Kind::Internal,
    );
    let mut __traced_guard = ::traced::__private::SpanGuard::start(
        &__TRACED_CALLSITE,
        || __TRACED_CALLSITE.name(),
        0usize,
        |_: &mut ::traced::__private::Attributes| {},
        ::std::vec::Vec::new,
    );
    let __traced_result: Result<u32, String> = '__traced_body: {
        if fail {
            break '__traced_body Err("failed".to_owned());
        }
        let n: u32 = match ::traced::__private::TracedTry::traced_branch(
            "7".parse().map_err(|_| "nan".to_owned()),
        ) {
            ::core::ops::ControlFlow::Continue(__traced_value) => __traced_value,
            ::core::ops::ControlFlow::Break(__traced_residual) => {
                break '__traced_body <_ as ::traced::__private::TracedFromResidual<
                    _,
                >>::traced_from_residual(__traced_residual);
            }
        };
        Ok(n)
    };
    if let ::core::option::Option::Some(__traced_span) = __traced_guard.span() {
        match ::traced::__private::ReturnedResult::traced_parts(&__traced_result) {
            ::core::result::Result::Ok(_) => {}
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
