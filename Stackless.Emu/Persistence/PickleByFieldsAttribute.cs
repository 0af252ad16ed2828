namespace Stackless.Emu;

/// <summary>
/// Marks a class whose instances the pickler saves field by field, like closures and the <c>this</c> of a frame, instead
/// of handing them to the serializer: identity is kept (an object referenced twice comes back once), and fields may hold
/// channels, tasklets, delegates and other such objects. Use it for objects a frame holds across a suspension that the
/// serializer cannot rebuild, e.g. the resource of a <c>using</c> block. Its assembly must be allowed on load.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class PickleByFieldsAttribute : Attribute
{
}
