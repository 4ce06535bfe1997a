fn fetch(&self) -> impl std::future::Future<Output = u32> + '_ {
    static __TRACED_CALLSITE: ::traced::__private::Callsite = ::traced::__private::Callsite::method(
        "fetch",
        ::traced::__private::Kind::Internal,
    );
    let __traced_span = ::traced::__private::ActiveSpan::start_carrying(
        &__TRACED_CALLSITE,
        __TRACED_CALLSITE.name_for(::core::any::type_name::<Self>()),
        0usize,
        |_: &mut ::traced::__private::Attributes| {},
        ::std::vec::Vec::new,
    );
    let __traced_future = {
        let __traced_entered = __traced_span.enter_context();
        #[allow(clippy::redundant_closure_call)]
        let __traced_built = (move || { async move { self.n } })();
        ::core::mem::drop(__traced_entered);
        __traced_built
    };
    ::traced::__private::Instrumented::new(
        __traced_future,
        __traced_span,
        |_: &mut ::traced::__private::ActiveSpan, _: &u32| {},
    )
}
