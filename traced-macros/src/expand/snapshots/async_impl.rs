impl<'a> UserService<'a> {
    #[allow(refining_impl_trait)]
    pub fn get_user<'__traced_life0>(
        &'__traced_life0 self,
        id: u64,
        __traced_arg2: (u8, u8),
    ) -> impl ::core::future::Future<
        Output = Result<User, DbError>,
    > + ::traced::__private::Captures<
        '__traced_life0,
    > + ::traced::__private::CapturesType<Self> {
        static __TRACED_CALLSITE: ::traced::__private::Callsite = ::traced::__private::Callsite::new(
            "UserService.get_user",
            ::traced::__private::Kind::Server,
        );
        let __traced_span = ::traced::__private::ActiveSpan::start_carrying(
            &__TRACED_CALLSITE,
            __TRACED_CALLSITE.name(),
            0usize,
            |_: &mut ::traced::__private::Attributes| {},
            ::std::vec::Vec::new,
        );
        ::traced::__private::Instrumented::new(
            async move {
                let _ = &self;
                let _ = &id;
                let (a, b) = __traced_arg2;
                #[allow(clippy::diverging_sub_expression)]
                let __traced_ret: Result<User, DbError> = { self.db.fetch(id).await };
                #[allow(unreachable_code)] __traced_ret
            },
            __traced_span,
            |
                __traced_span: &mut ::traced::__private::ActiveSpan,
                __traced_output: &Result<User, DbError>|
            {
                match ::traced::__private::ReturnedResult::traced_parts(
                    __traced_output,
                ) {
                    ::core::result::Result::Ok(_) => {}
                    ::core::result::Result::Err(__traced_err) => {
                        #[allow(unused_imports)]
                        use ::traced::__private::{
                            RecordDebugError as _, RecordDerefError as _,
                            RecordDisplayError as _, RecordOpaqueError as _,
                            RecordStdError as _,
                        };
                        (&&&&&::traced::__private::ErrorRef(__traced_err))
                            .traced_record_error(__traced_span, true);
                    }
                }
            },
        )
    }
    fn helper(&self) {}
}
