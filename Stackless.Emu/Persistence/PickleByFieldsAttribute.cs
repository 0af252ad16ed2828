namespace Stackless.Emu;

/// <summary>
/// Marks a class or struct whose instances the pickler saves field by field, like closures and iterators, instead of
/// handing them to the serializer: identity is kept (an object referenced twice comes back once), and fields may hold
/// channels, tasklets, delegates, collections and other such objects. Use it for objects a frame holds across a
/// suspension that the serializer cannot rebuild (e.g. the resource of a <c>using</c> block), and for the class whose
/// instance <see cref="TaskletFrame"/> methods run in a pickled tasklet (their <c>this</c>). Loading sets fields only
/// on such types (and on compiler-generated ones) of allowed assemblies; base classes must be marked too (or be
/// <see cref="object"/>), so a pickle never sets the private fields of a type that did not opt in.
/// </summary>
/// <remarks>Thread safety: an attribute, immutable.</remarks>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class PickleByFieldsAttribute : Attribute
{
}
