//! Typed attribute values from user expressions, taken by reference so that
//! recording a field never moves or consumes it.

use opentelemetry::{StringValue, Value};
use std::borrow::Cow;
use std::fmt;

/// A value that can be recorded as a span attribute.
///
/// Integers become `i64` (unsigned values above `i64::MAX` are recorded as
/// their decimal string), floats `f64`, text a string. Wrap anything else in
/// [`DisplayValue`] (`%x` in the macro) or [`DebugValue`] (`?x`).
pub trait ToAttributeValue {
    /// The OpenTelemetry value.
    fn to_attribute_value(&self) -> Value;
}

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl ToAttributeValue for $t {
            #[inline]
            fn to_attribute_value(&self) -> Value { Value::I64(i64::from(*self)) }
        }
    )*};
}
signed!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! wide {
    ($($t:ty),*) => {$(
        impl ToAttributeValue for $t {
            #[inline]
            fn to_attribute_value(&self) -> Value {
                match i64::try_from(*self) {
                    Ok(v) => Value::I64(v),
                    Err(_) => Value::String(self.to_string().into()),
                }
            }
        }
    )*};
}
wide!(u64, usize, isize, i128, u128);

impl ToAttributeValue for f64 {
    #[inline]
    fn to_attribute_value(&self) -> Value {
        Value::F64(*self)
    }
}
impl ToAttributeValue for f32 {
    #[inline]
    fn to_attribute_value(&self) -> Value {
        Value::F64(f64::from(*self))
    }
}
impl ToAttributeValue for bool {
    #[inline]
    fn to_attribute_value(&self) -> Value {
        Value::Bool(*self)
    }
}
impl ToAttributeValue for char {
    fn to_attribute_value(&self) -> Value {
        Value::String(self.to_string().into())
    }
}
impl ToAttributeValue for str {
    fn to_attribute_value(&self) -> Value {
        Value::String(StringValue::from(self.to_owned()))
    }
}
impl ToAttributeValue for String {
    fn to_attribute_value(&self) -> Value {
        Value::String(StringValue::from(self.clone()))
    }
}
impl ToAttributeValue for Cow<'_, str> {
    fn to_attribute_value(&self) -> Value {
        Value::String(StringValue::from(self.to_string()))
    }
}
impl ToAttributeValue for Value {
    fn to_attribute_value(&self) -> Value {
        self.clone()
    }
}
impl<T: ToAttributeValue + ?Sized> ToAttributeValue for &T {
    #[inline]
    fn to_attribute_value(&self) -> Value {
        (**self).to_attribute_value()
    }
}
impl<T: ToAttributeValue + ?Sized> ToAttributeValue for &mut T {
    #[inline]
    fn to_attribute_value(&self) -> Value {
        (**self).to_attribute_value()
    }
}
impl<T: ToAttributeValue + ?Sized> ToAttributeValue for Box<T> {
    fn to_attribute_value(&self) -> Value {
        (**self).to_attribute_value()
    }
}
impl<T: ToAttributeValue + ?Sized> ToAttributeValue for std::sync::Arc<T> {
    fn to_attribute_value(&self) -> Value {
        (**self).to_attribute_value()
    }
}

/// Records a value through its `Display` impl (`%x` in `fields(...)`).
pub struct DisplayValue<T>(pub T);

impl<T: fmt::Display> ToAttributeValue for DisplayValue<T> {
    fn to_attribute_value(&self) -> Value {
        Value::String(self.0.to_string().into())
    }
}

/// Records a value through its `Debug` impl (`?x` in `fields(...)`).
pub struct DebugValue<T>(pub T);

impl<T: fmt::Debug> ToAttributeValue for DebugValue<T> {
    fn to_attribute_value(&self) -> Value {
        Value::String(format!("{:?}", self.0).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_types() {
        assert_eq!(42u32.to_attribute_value(), Value::I64(42));
        assert_eq!(ToAttributeValue::to_attribute_value(&&-7i8), Value::I64(-7));
        assert_eq!(u64::MAX.to_attribute_value(), Value::String(u64::MAX.to_string().into()));
        assert_eq!(1.5f32.to_attribute_value(), Value::F64(1.5));
        assert_eq!(true.to_attribute_value(), Value::Bool(true));
        assert_eq!("users".to_attribute_value(), Value::String("users".into()));
        let owned = String::from("x");
        assert_eq!(ToAttributeValue::to_attribute_value(&&owned), Value::String("x".into()));
        assert_eq!(
            DisplayValue(&std::net::Ipv4Addr::LOCALHOST).to_attribute_value(),
            Value::String("127.0.0.1".into())
        );
        assert_eq!(DebugValue(&Some(3)).to_attribute_value(), Value::String("Some(3)".into()));
    }
}
