//! A MIB view: object instances in OID order, with the object types they
//! belong to (so a Get can tell noSuchObject from noSuchInstance).

use super::{Oid, Value};

/// Whether a manager may write an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// read-only.
    ReadOnly,
    /// read-write: SetRequest may change it (with the write community).
    ReadWrite,
}

/// One object instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Object {
    /// Its value.
    pub value: Value,
    /// Whether it is writable.
    pub access: Access,
}

/// What a Get finds at an OID (RFC 3416 §4.2.1).
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// The instance.
    Found(&'a Object),
    /// The object type exists, this instance does not.
    NoSuchInstance,
    /// No such object type.
    NoSuchObject,
}

/// Object instances in lexicographic OID order.
///
/// Kept as sorted vectors rather than trees: a view is built once and then
/// read many times, and a fleet holds thousands of them, so compactness
/// (about 40 KB for a printer's whole MIB) matters more than insertion cost.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mib {
    objects: Vec<(Oid, Object)>,
    types: Vec<Oid>,
}

impl Mib {
    /// An empty view.
    pub fn new() -> Mib {
        Mib::default()
    }

    fn put(&mut self, oid: Oid, object: Object) {
        match self.objects.binary_search_by(|(k, _)| k.cmp(&oid)) {
            Ok(i) => self.objects[i].1 = object,
            Err(i) => self.objects.insert(i, (oid, object)),
        }
    }

    fn add_type(&mut self, ty: Oid) {
        if let Err(i) = self.types.binary_search(&ty) {
            self.types.insert(i, ty);
        }
    }

    /// A scalar: `object` is the object type; its one instance is `object.0`.
    pub fn scalar(&mut self, object: &[u32], value: Value, access: Access) {
        let ty = Oid::new(object);
        self.put(ty.child(&[0]), Object { value, access });
        self.add_type(ty);
    }

    /// A table cell: `column` is the column's object type, `index` the row.
    pub fn cell(&mut self, column: &[u32], index: &[u32], value: Value, access: Access) {
        let ty = Oid::new(column);
        self.put(ty.child(index), Object { value, access });
        self.add_type(ty);
    }

    /// An instance whose object type is not known (from an imported walk):
    /// its type is taken to be the OID without its last sub-identifier.
    pub fn instance(&mut self, oid: Oid, value: Value, access: Access) {
        if oid.0.len() > 1 {
            self.add_type(Oid::new(&oid.0[..oid.0.len() - 1]));
        }
        self.put(oid, Object { value, access });
    }

    /// Remove an instance (and nothing else).
    pub fn remove(&mut self, oid: &Oid) -> Option<Object> {
        let i = self.objects.binary_search_by(|(k, _)| k.cmp(oid)).ok()?;
        Some(self.objects.remove(i).1)
    }

    /// Remove every instance under `prefix`.
    pub fn remove_subtree(&mut self, prefix: &Oid) {
        self.objects.retain(|(k, _)| !k.starts_with(prefix));
    }

    /// The instance at `oid`, or which exception a Get gets.
    pub fn get(&self, oid: &Oid) -> Lookup<'_> {
        if let Ok(i) = self.objects.binary_search_by(|(k, _)| k.cmp(oid)) {
            return Lookup::Found(&self.objects[i].1);
        }
        // An object type that is a proper prefix of the OID: the type exists.
        let parts = oid.parts();
        for len in (1..parts.len()).rev() {
            let prefix = &parts[..len];
            if self
                .types
                .binary_search_by(|t| t.parts().cmp(prefix))
                .is_ok()
            {
                return Lookup::NoSuchInstance;
            }
        }
        Lookup::NoSuchObject
    }

    /// The first instance after `oid` (GetNext, RFC 3416 §4.2.2).
    pub fn next_after(&self, oid: &Oid) -> Option<(&Oid, &Object)> {
        let i = match self.objects.binary_search_by(|(k, _)| k.cmp(oid)) {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        self.objects.get(i).map(|(k, o)| (k, o))
    }

    /// Mutable access to an instance.
    pub fn get_mut(&mut self, oid: &Oid) -> Option<&mut Object> {
        let i = self.objects.binary_search_by(|(k, _)| k.cmp(oid)).ok()?;
        Some(&mut self.objects[i].1)
    }

    /// Every instance, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Oid, &Object)> {
        self.objects.iter().map(|(k, o)| (k, o))
    }

    /// How many instances.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Give back spare capacity (a fleet keeps thousands of views).
    pub fn shrink_to_fit(&mut self) {
        self.objects.shrink_to_fit();
        self.types.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn exceptions_and_order() {
        let mut m = Mib::new();
        m.scalar(
            &[1, 3, 6, 1, 2, 1, 1, 1],
            Value::text("x"),
            Access::ReadOnly,
        );
        m.cell(
            &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9],
            &[1, 1],
            Value::Integer(5),
            Access::ReadOnly,
        );
        let descr: Oid = "1.3.6.1.2.1.1.1.0".parse().unwrap();
        assert!(matches!(m.get(&descr), Lookup::Found(_)));
        let other: Oid = "1.3.6.1.2.1.1.1.7".parse().unwrap();
        assert_eq!(m.get(&other), Lookup::NoSuchInstance);
        let nothing: Oid = "1.3.6.1.2.1.1.99.0".parse().unwrap();
        assert_eq!(m.get(&nothing), Lookup::NoSuchObject);
        let group: Oid = "1.3.6.1.2.1.1".parse().unwrap();
        assert_eq!(m.get(&group), Lookup::NoSuchObject);
        let (next, _) = m.next_after(&group).unwrap();
        assert_eq!(next, &descr);
        let (after, _) = m.next_after(&descr).unwrap();
        assert_eq!(after.to_string(), "1.3.6.1.2.1.43.11.1.1.9.1.1");
        assert!(m.next_after(after).is_none());
    }
}
