using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>How the writer saves a value of a given runtime type (primitives and strings aside), decided once per type.</summary>
internal enum PickleValueShape
{
    /// <summary>A reference to a tasklet of the pickle.</summary>
    Tasklet,

    /// <summary>A reference to a channel of the pickle.</summary>
    Channel,

    /// <summary>An exception: type and message.</summary>
    Exception,

    /// <summary>A delegate, in the object table.</summary>
    Delegate,

    /// <summary>A frame or state machine object: refused (frames are pickled only as a tasklet's chain).</summary>
    Frame,

    /// <summary>An enumerator of a BCL collection: its collection and position.</summary>
    CollectionEnumerator,

    /// <summary>An async enumerator: refused.</summary>
    AsyncEnumerator,

    /// <summary>Another enumerator (LINQ's, the BCL's internals): refused.</summary>
    OtherEnumerator,

    /// <summary>A tuple or key/value pair: inline, item by item.</summary>
    Tuple,

    /// <summary>Another type of Stackless.Emu: refused.</summary>
    Library,

    /// <summary>A multi-dimensional array: refused.</summary>
    MultiDimensionalArray,

    /// <summary>A collection the pickler writes itself, in the object table.</summary>
    Collection,

    /// <summary>A dictionary's keys or values view, in the object table.</summary>
    View,

    /// <summary>A compiler-generated or [PickleByFields] class, field by field in the object table.</summary>
    ByFieldsObject,

    /// <summary>Another class: the serializer's, in the object table.</summary>
    SerializedObject,

    /// <summary>A compiler-generated or [PickleByFields] struct, field by field inline.</summary>
    ByFieldsStruct,

    /// <summary>Another struct: the serializer's, inline.</summary>
    SerializedStruct,
}

/// <summary>The <see cref="PickleValueShape"/> of each runtime type.</summary>
internal static class PickleValueShapes
{
    private static readonly ConcurrentDictionary<Type, PickleValueShape> Cache = new();

    /// <summary>The shape of values of <paramref name="type"/>.</summary>
    public static PickleValueShape Of(Type type) => Cache.GetOrAdd(type, Classify);

    private static PickleValueShape Classify(Type type)
    {
        var asyncEnumerator = type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAsyncEnumerator<>));
        if (type == typeof(Tasklet))
        {
            return PickleValueShape.Tasklet;
        }

        if (typeof(IPicklableChannel).IsAssignableFrom(type))
        {
            return PickleValueShape.Channel;
        }

        if (typeof(Exception).IsAssignableFrom(type))
        {
            return PickleValueShape.Exception;
        }

        if (typeof(Delegate).IsAssignableFrom(type))
        {
            return PickleValueShape.Delegate;
        }

        if (typeof(FrameBox).IsAssignableFrom(type) || (typeof(IAsyncStateMachine).IsAssignableFrom(type) && !asyncEnumerator))
        {
            return PickleValueShape.Frame;
        }

        if (PickleEnumerator.For(type) is not null)
        {
            return PickleValueShape.CollectionEnumerator;
        }

        if (asyncEnumerator)
        {
            return PickleValueShape.AsyncEnumerator;
        }

        if (typeof(IEnumerator).IsAssignableFrom(type) && !(PicklePolicy.IsCompilerGenerated(type) && StateMachineStates.IsIterator(type)))
        {
            return PickleValueShape.OtherEnumerator;
        }

        if (PickleTuple.For(type) is not null)
        {
            return PickleValueShape.Tuple;
        }

        if (PicklePolicy.IsLibrary(type.Assembly) && !type.IsArray)
        {
            return PickleValueShape.Library;
        }

        if (type.IsValueType)
        {
            return PicklePolicy.IsByFields(type) ? PickleValueShape.ByFieldsStruct : PickleValueShape.SerializedStruct;
        }

        return type.IsArray && !type.IsSZArray ? PickleValueShape.MultiDimensionalArray
            : PickleCollection.For(type) is not null ? PickleValueShape.Collection
            : PickleEnumerator.ViewName(type) is not null ? PickleValueShape.View
            : PicklePolicy.IsByFields(type) ? PickleValueShape.ByFieldsObject
            : PickleValueShape.SerializedObject;
    }
}
